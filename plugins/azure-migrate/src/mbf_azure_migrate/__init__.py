"""mbf discovery source for Azure Migrate exports: import CSV, inventory, assessments, dependencies."""
