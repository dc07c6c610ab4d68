"""mbf plugin for Azure DevOps Boards: the ``ado-csv`` tracker format (a live service comes later)."""
