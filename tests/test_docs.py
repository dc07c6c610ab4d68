"""The plugin author guide documents every hook, with its exact signature."""

import inspect
from pathlib import Path

import pytest

from mbf.plugin import hookspecs

HOOKS_PAGE = Path(__file__).resolve().parents[1] / "docs" / "plugins" / "hooks.md"
HOOKS = sorted(name for name in dir(hookspecs) if name.startswith("mbf_"))


def test_there_are_hooks_to_document() -> None:
    assert HOOKS == [
        "mbf_commands",
        "mbf_configure",
        "mbf_discovery_sources",
        "mbf_generation_rules",
        "mbf_planning_strategies",
        "mbf_tracker_formats",
        "mbf_tracker_services",
    ]


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_has_a_section_headed_by_its_signature(hook: str) -> None:
    params = ", ".join(inspect.signature(getattr(hookspecs, hook)).parameters)
    assert f"\n## `{hook}({params})`\n" in HOOKS_PAGE.read_text(encoding="utf-8")


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_docstring_says_when_what_and_shows_an_example(hook: str) -> None:
    doc = inspect.getdoc(getattr(hookspecs, hook)) or ""
    assert "Called" in doc
    assert "**Example**::" in doc
