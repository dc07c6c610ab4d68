"""What the commands do, independent of the command line: convert, discover, generate, plan, sync."""
