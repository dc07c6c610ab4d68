"""Example mbf plugin: a backlog as a nested Markdown checklist."""
