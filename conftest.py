"""Test-suite wide set-up: mbf's own plugin-author fixtures, used by core and plugin tests alike."""

pytest_plugins = ["mbf.testing"]
