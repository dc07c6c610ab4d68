"""Fixtures for the core tests: fake installed plugin distributions."""

import itertools
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

_counter = itertools.count()


@pytest.fixture
def fake_distribution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., str]:
    """Install a plugin distribution for one test: a module plus dist-info with an ``mbf`` entry point.

    The distribution is found by ``importlib.metadata`` exactly as a pip-installed one would be.
    Returns the directory to put on ``PYTHONPATH`` for subprocess tests.
    """
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))

    def install(entry_point: str, source: str, dist_name: str | None = None) -> str:
        module = f"fake_mbf_plugin_{next(_counter)}"
        (site / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
        dist = dist_name or f"mbf-{entry_point}"
        info = site / f"{dist.replace('-', '_')}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
        (info / "entry_points.txt").write_text(f"[mbf]\n{entry_point} = {module}\n")
        return str(site)

    return install
