"""Writing outputs safely: a failure never leaves a half-written file behind."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_output"]


@contextlib.contextmanager
def atomic_output(path: Path) -> Iterator[Path]:
    """Yield a temporary path to write ``path`` to; on success, move it (and siblings) into place.

    The writer may create further files beside the yielded path (e.g. numbered parts of a split
    CSV); each is moved next to ``path`` with an atomic rename. On an exception nothing is moved
    and the temporary directory is removed, so existing files stay as they were.
    """
    target_dir = path.parent if str(path.parent) else Path()
    target_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=target_dir))
    try:
        yield staging / path.name
        for produced in sorted(staging.iterdir()):
            os.replace(produced, target_dir / produced.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
