"""mbf plugin for Azure DevOps Boards: the ``ado-csv`` tracker format and the ``azure-devops``
live service (REST 7.1 over httpx)."""
