"""``python -m mbf``: the same as the ``mbf`` command."""

from mbf.cli import main

main()
