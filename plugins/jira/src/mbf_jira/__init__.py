"""mbf plugin for Jira: the ``jira-csv`` tracker format and the live ``jira`` service."""
