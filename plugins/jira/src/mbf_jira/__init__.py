"""mbf plugin for Jira: the ``jira-csv`` tracker format (a live service comes later)."""
