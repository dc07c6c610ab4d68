"""Iteration planning: the default `waves` strategy and `mbf plan`."""
