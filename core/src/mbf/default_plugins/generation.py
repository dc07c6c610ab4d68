"""CAF backlog generation: the default generation rules and `mbf generate`."""
