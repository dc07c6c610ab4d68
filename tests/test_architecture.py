"""Dependency direction: plugins -> mbf's public API; the core never imports a plugin; plugins never
import each other. Checked on the source, so a violation fails even if nothing executes it."""

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "core" / "src" / "mbf"
PUBLIC_CORE_MODULES = {
    "mbf.config",
    "mbf.domain",
    "mbf.errors",
    "mbf.files",
    "mbf.plugin",
    "mbf.serialization",
    "mbf.sync",
    "mbf.tabular",
    "mbf.testing",
    "mbf.workbooks",
}
"""What a plugin may import from the core besides ``mbf`` itself (and their submodules)."""


def imported_modules(path: Path) -> Iterator[tuple[int, str]]:
    """Every absolute module a Python file imports, with its line number."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module


def plugin_packages() -> list[Path]:
    """Each plugin's import package: ``plugins/*/src/mbf_*`` and the example plugin."""
    return sorted([*ROOT.glob("plugins/*/src/mbf_*"), *ROOT.glob("examples/*/src/mbf_*")])


def is_public(module: str) -> bool:
    return module == "mbf" or any(
        module == p or module.startswith(p + ".") for p in PUBLIC_CORE_MODULES
    )


def test_core_imports_no_plugin() -> None:
    offending = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in sorted(CORE.rglob("*.py"))
        for line, module in imported_modules(path)
        if module.split(".")[0].startswith("mbf_")
    ]
    assert offending == []


@pytest.mark.parametrize("package", plugin_packages(), ids=lambda p: p.name)
def test_plugin_imports_only_itself_and_the_public_core(package: Path) -> None:
    sources = [*package.rglob("*.py"), *package.parents[1].glob("tests/**/*.py")]
    offending = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in sorted(sources)
        for line, module in imported_modules(path)
        if (module.split(".")[0].startswith("mbf_") and module.split(".")[0] != package.name)
        or (module.split(".")[0] == "mbf" and not is_public(module))
    ]
    assert offending == []


def test_the_guard_sees_a_violation(tmp_path: Path) -> None:
    source = tmp_path / "bad.py"
    source.write_text(
        "import mbf_jira.csv_format\nfrom mbf.engine.convert import convert\nfrom mbf.domain import Backlog\n"
    )
    assert list(imported_modules(source)) == [
        (1, "mbf_jira.csv_format"),
        (2, "mbf.engine.convert"),
        (3, "mbf.domain"),
    ]
    assert [is_public(m) for _, m in imported_modules(source)] == [False, False, True]
