"""Fixtures for `mbf build` tests: a copy of the Contoso example and the CLI with every plugin."""

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from mbf.cli import make_cli
from mbf.plugin.manager import MbfPluginManager

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "contoso"


def copy_example(destination: Path) -> Path:
    """The example's mbf.toml, exports and progress samples (never its out/) in ``destination``."""
    destination.mkdir(parents=True, exist_ok=True)
    shutil.copy(EXAMPLE / "mbf.toml", destination / "mbf.toml")
    for folder in ("exports", "progress"):
        shutil.copytree(EXAMPLE / folder, destination / folder)
    return destination


def run_cli(plugin_manager: MbfPluginManager, *args: str) -> Result:
    """Run ``mbf ARGS`` with ``plugin_manager``'s commands."""
    return CliRunner().invoke(make_cli(plugin_manager), list(args), prog_name="mbf")


@pytest.fixture
def installed() -> MbfPluginManager:
    """Every installed plugin: the discovery sources and tracker formats the example needs."""
    return MbfPluginManager().load()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A fresh copy of the example project."""
    return copy_example(tmp_path / "contoso")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Result]:
    """The example built once for the module: its directory and the build's result."""
    project = copy_example(tmp_path_factory.mktemp("built") / "contoso")
    result = run_cli(MbfPluginManager().load(), "build", "-c", str(project / "mbf.toml"))
    assert result.exit_code == 0, result.output
    return project, result


@pytest.fixture
def cli(installed: MbfPluginManager) -> Callable[..., Result]:
    """``cli("build", "-c", ...)`` with every installed plugin."""
    return lambda *args: run_cli(installed, *args)
