"""`mbf discover`: reading discovery exports and merging them into one estate."""
