"""The documentation cannot drift from the code: every hook, command, option, format, source,
service and mbf.toml key is documented, the site builds, and the examples in the pages run.

Code blocks in ``docs/`` follow these rules (see CONTRIBUTING.md, "Documentation"):

- every ``python`` block runs, in order, in one namespace per page; a block preceded by
  ``<!-- test: fragment -->`` is only compiled; ``<!-- test: excerpt PATH -->`` also requires
  the block to appear verbatim in PATH (relative to the repository root);
- every ``toml`` block is an mbf.toml that loads, whose ``[services.<name>]`` tables and
  ``[[sources]]`` options the plugins accept, unless marked ``pyproject``;
  ``<!-- test: append PATH -->`` appends it to PATH in the page's project copy before the blocks
  after it run;
- every ``mbf ...`` line of a ``sh`` block names a real command and real options; in a block
  marked ``<!-- test: run -->`` each line (``mbf ...`` or ``cd DIR``) is executed, in a copy of
  the repository's examples made for the page, and must exit 0.
"""

from __future__ import annotations

import datetime as dt
import inspect
import json
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
import typing
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs
import click
import pytest
import yaml
from click.testing import CliRunner

from mbf.cli import make_cli
from mbf.config import MbfConfig, load_config, plugin_settings
from mbf.domain import BlackoutWindow, Datacenter
from mbf.plugin import ALL_CAPABILITIES, hookspecs
from mbf.plugin.manager import MbfPluginManager

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
HOOKS_PAGE = DOCS / "plugins" / "hooks.md"
HOOKS = sorted(name for name in dir(hookspecs) if name.startswith("mbf_"))
PAGES = sorted(path.relative_to(DOCS).as_posix() for path in DOCS.rglob("*.md"))

_INSTALLED = MbfPluginManager().load()


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


# --- reading the pages -------------------------------------------------------------------------

_FENCE = re.compile(r"^(?P<indent>\s*)```(?P<lang>[\w+.-]*)\s*$")
_MARK = re.compile(r"^\s*<!-- test: (?P<marks>.+?) -->\s*$")


@attrs.frozen
class CodeBlock:
    """One fenced code block of a page."""

    page: str
    line: int
    lang: str
    code: str
    marks: tuple[str, ...]

    def mark(self, name: str) -> str | None:
        """The argument of mark ``name`` (``""`` when it has none), or ``None`` when unmarked."""
        for mark in self.marks:
            word, _, argument = mark.partition(" ")
            if word == name:
                return argument.strip()
        return None

    @property
    def where(self) -> str:
        return f"docs/{self.page}:{self.line}"


def code_blocks(page: str) -> list[CodeBlock]:
    """The fenced blocks of ``docs/<page>``, with the marks of the comment line just before each."""
    lines = (DOCS / page).read_text(encoding="utf-8").splitlines()
    blocks: list[CodeBlock] = []
    number = 0
    while number < len(lines):
        fence = _FENCE.match(lines[number])
        if fence is None:
            number += 1
            continue
        previous = next((line for line in reversed(lines[:number]) if line.strip()), "")
        mark = _MARK.match(previous)
        marks = tuple(m.strip() for m in mark["marks"].split(";")) if mark else ()
        indent = len(fence["indent"])
        end = number + 1
        while end < len(lines) and lines[end].strip() != "```":
            end += 1
        body = "\n".join(line[indent:] for line in lines[number + 1 : end])
        blocks.append(CodeBlock(page, number + 1, fence["lang"], body + "\n", marks))
        number = end + 1
    return blocks


def section(page: str, heading: str) -> str:
    """The text under the first heading that starts with ``heading``, up to the next heading of
    the same or a higher level."""
    text = (DOCS / page).read_text(encoding="utf-8")
    level = len(heading) - len(heading.lstrip("#"))
    match = re.search(rf"^{re.escape(heading)}.*$", text, re.MULTILINE)
    assert match is not None, f"docs/{page} has no heading {heading!r}"
    rest = text[match.end() :]
    stop = re.search(rf"^#{{1,{level}}} ", rest, re.MULTILINE)
    return rest[: stop.start()] if stop else rest


def table_rows(text: str) -> list[list[str]]:
    """Cells of every markdown table row in ``text`` (separator rows left out)."""
    rows = []
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("|") and not re.fullmatch(r"\|[\s:|-]+\|", line):
            rows.append([cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip("|"))])
    return rows


def code_names(cell: str) -> set[str]:
    """The ``code`` spans of a table cell."""
    return set(re.findall(r"`([^`]+)`", cell))


def shell_lines(block: CodeBlock) -> Iterator[list[str]]:
    """The commands of a shell block as argument lists (comments and continuations handled)."""
    for line in block.code.replace("\\\n", " ").splitlines():
        words = shlex.split(line, comments=True)
        for prefix in (["python", "-m", "uv", "run"], ["uv", "run"]):
            if words[: len(prefix)] == prefix:
                words = words[len(prefix) :]
        if words:
            yield words


# --- the site ----------------------------------------------------------------------------------


def _nav_pages(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        if node.endswith(".md"):
            yield node
    elif isinstance(node, Mapping):
        for value in node.values():
            yield from _nav_pages(value)
    elif isinstance(node, list):
        for value in node:
            yield from _nav_pages(value)


def test_every_page_is_in_the_navigation_once() -> None:
    nav = list(_nav_pages(yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))["nav"]))
    assert sorted(nav) == PAGES


def test_mkdocs_builds_the_site_without_a_warning(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            *(sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet"),
            *("--config-file", str(ROOT / "mkdocs.yml"), "--site-dir", str(tmp_path / "site")),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "site" / "formats" / "xlsx" / "index.html").is_file()


# --- the command line --------------------------------------------------------------------------

CLI_PAGE = "cli.md"
COMMANDS = sorted(_INSTALLED.commands.objects)


def test_the_installed_commands_are_the_documented_set() -> None:
    assert COMMANDS == [
        "build",
        "convert",
        "discover",
        "generate",
        "plan",
        "plugins",
        "pull",
        "push",
        "report",
        "status",
        "track",
    ]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_option_of_a_command_is_in_its_section(command: str) -> None:
    text = section(CLI_PAGE, f"## `mbf {command}")
    options = [
        max(param.opts, key=len)
        for param in _INSTALLED.commands.get(command).params
        if isinstance(param, click.Option)
    ]
    assert [option for option in options if f"`{option}" not in text] == []


NEEDS_A_LIVE_TRACKER = {"pull"}
"""Commands whose example cannot run without a tracker site; their lines are still parsed."""


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_section_has_synopsis_exit_status_and_an_example(command: str) -> None:
    text = section(CLI_PAGE, f"## `mbf {command}")
    assert text.lstrip().startswith(f"```\nmbf {command}")  # the synopsis comes first
    assert "**Exit status**" in text
    examples = {
        block.mark("run") is not None
        for block in code_blocks(CLI_PAGE)
        if block.lang == "sh" and f"mbf {command}" in block.code and block.code in text
    }
    if command in NEEDS_A_LIVE_TRACKER:
        assert examples == {False}
    else:
        assert True in examples, f"no example of mbf {command} marked to run"


# --- formats, sources, services ----------------------------------------------------------------

FORMATS = sorted(_INSTALLED.tracker_formats.objects)
SOURCES = sorted(_INSTALLED.discovery_sources.objects)
SERVICES = sorted(_INSTALLED.tracker_services.objects)


def test_the_installed_formats_sources_and_services_are_the_documented_set() -> None:
    assert (FORMATS, SOURCES, SERVICES) == (
        ["ado-csv", "jira-csv", "markdown-checklist", "mbf-json", "meg", "mspdi", "xlsx"],
        ["azure-migrate", "cmdb-csv", "rvtools"],
        ["azure-devops", "excel-online", "jira"],
    )


def _facts(page: str) -> dict[str, str]:
    """The rows of the two-column table that opens a format, source or service page."""
    return {row[0]: row[1] for row in table_rows(section(page, "# ")) if len(row) == 2}


@pytest.mark.parametrize("name", FORMATS)
def test_format_page_lists_exactly_the_fields_the_format_holds(name: str) -> None:
    tracker_format = _INSTALLED.tracker_formats.get(name)
    rows = [row for row in table_rows(section(f"formats/{name}.md", "## What it holds")) if row]
    fields = [next(iter(code_names(row[0])), "") for row in rows[1:]]
    assert sorted(fields) == sorted(ALL_CAPABILITIES)
    held = {field for field, row in zip(fields, rows[1:], strict=True) if row[-1] == "yes"}
    not_held = {field for field, row in zip(fields, rows[1:], strict=True) if row[-1] == "no"}
    assert (held, not_held) == (
        set(tracker_format.capabilities),
        set(ALL_CAPABILITIES - tracker_format.capabilities),
    )


@pytest.mark.parametrize("name", FORMATS)
def test_format_page_names_its_aliases_files_and_kinds(name: str) -> None:
    tracker_format = _INSTALLED.tracker_formats.get(name)
    facts = _facts(f"formats/{name}.md")
    assert code_names(facts["name"]) == {name}
    assert code_names(facts["aliases"]) == set(tracker_format.aliases)
    assert code_names(facts["files"]) == set(tracker_format.default_filenames)
    assert code_names(facts["item kinds"]) == {kind.value for kind in tracker_format.kinds}
    assert facts["reads, writes"] == (
        f"{'yes' if tracker_format.read else 'no'}, {'yes' if tracker_format.write else 'no'}"
    )


@pytest.mark.parametrize("name", SOURCES)
def test_source_page_names_its_aliases_and_files(name: str) -> None:
    source = _INSTALLED.discovery_sources.get(name)
    facts = _facts(f"sources/{name}.md")
    assert code_names(facts["name"]) == {name}
    assert code_names(facts["aliases"]) == set(source.aliases)
    assert code_names(facts["files"]) == set(source.default_filenames)


@pytest.mark.parametrize("name", SERVICES)
def test_service_page_names_it(name: str) -> None:
    assert code_names(_facts(f"services/{name}.md")["name"]) == {name}


# --- settings tables: mbf.toml and plugin settings ---------------------------------------------


def render_default(value: Any) -> str:
    """A default as the reference tables write it: TOML syntax, ``–`` for none, or ``required``."""
    if value is attrs.NOTHING:
        return "required"
    if isinstance(value, attrs.Factory):
        value = value.factory()
    if value is None:
        return "–"
    return f"`{_toml(value)}`"


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, int | float | dt.date):
        return str(value)
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + "}"
    if attrs.has(type(value)):
        fields = attrs.fields(type(value))
        cells = [f"{f.name} = {_toml(getattr(value, f.name))}" for f in fields
                 if getattr(value, f.name) is not None]  # fmt: skip
        return "{ " + ", ".join(cells) + " }"
    raise TypeError(f"no TOML for {value!r}")


def settings_rows(page: str, heading: str) -> dict[str, str]:
    """``key -> default`` of the reference table under ``heading``."""
    rows = table_rows(section(page, heading))
    assert rows[0][:3] == ["key", "type", "default"], f"{heading}: columns key, type, default, ..."
    return {next(iter(code_names(row[0]))): row[2] for row in rows[1:]}


def documented_fields(cls: type) -> dict[str, str]:
    """``key -> rendered default`` of an attrs settings class."""
    return {
        field.name: render_default(field.default)
        for field in attrs.fields(cls)
        if field.name != "base_dir"  # set by mbf from the file's place, refused as a key
    }


def _config_class(heading: str) -> type:
    from mbf import config

    return {
        "### `[project]`": config.ProjectConfig,
        "### `[[datacenters]]`": Datacenter,
        "### `blackout`": BlackoutWindow,
        "### `[iterations]`": config.IterationsConfig,
        "### `[[sources]]`": config.SourceConfig,
        "### `[discovery]`": config.DiscoveryConfig,
        "### `[[discovery.datacenter_rules]]`": config.DatacenterRule,
        "### `[generation]`": config.GenerationConfig,
        "### `[generation.task.<name>]`": config.TaskConfig,
        "### `[[generation.size_classes]]`": config.SizeClassConfig,
        "### `[planning]`": config.PlanningConfig,
        "### `[[outputs]]`": config.OutputConfig,
        "### `[build]`": config.BuildConfig,
    }[heading]


CONFIG_HEADINGS = [
    "### `[project]`",
    "### `[[datacenters]]`",
    "### `blackout`",
    "### `[iterations]`",
    "### `[[sources]]`",
    "### `[discovery]`",
    "### `[[discovery.datacenter_rules]]`",
    "### `[generation]`",
    "### `[generation.task.<name>]`",
    "### `[[generation.size_classes]]`",
    "### `[planning]`",
    "### `[[outputs]]`",
    "### `[build]`",
]


def _attrs_classes_in(cls: type) -> Iterator[type]:
    hints = typing.get_type_hints(cls)
    for field in attrs.fields(cls):
        stack = [hints[field.name]]
        while stack:
            hint = stack.pop()
            if attrs.has(hint):
                yield hint
                yield from _attrs_classes_in(hint)
            stack.extend(typing.get_args(hint))


def test_plugin_owned_tables_have_a_section() -> None:
    text = (DOCS / "concepts.md").read_text(encoding="utf-8")
    assert "### `[services.<name>]`" in text
    assert "### `[formats.<name>]`" in text


def test_every_table_of_mbf_toml_has_a_reference_section() -> None:
    documented = {_config_class(heading) for heading in CONFIG_HEADINGS}
    assert set(_attrs_classes_in(MbfConfig)) == documented
    # Plugin-owned tables: each plugin documents its own [services.NAME] / [formats.NAME] keys.
    assert {f.name for f in attrs.fields(MbfConfig)} - {"base_dir", "services", "formats"} == {
        "project", "datacenters", "iterations", "sources", "discovery", "generation",
        "planning", "outputs", "build",
    }  # fmt: skip


@pytest.mark.parametrize("heading", CONFIG_HEADINGS)
def test_mbf_toml_reference_lists_every_key_with_its_default(heading: str) -> None:
    rows = settings_rows("concepts.md", heading)
    assert rows == documented_fields(_config_class(heading))


@pytest.mark.parametrize("name", SERVICES)
def test_service_page_lists_every_setting_with_its_default(name: str) -> None:
    service = _INSTALLED.tracker_services.get(name)
    assert settings_rows(f"services/{name}.md", "## Settings") == documented_fields(
        service.settings_type
    )


@pytest.mark.parametrize(
    "name", [n for n in SOURCES if _INSTALLED.discovery_sources.get(n).settings_type]
)
def test_source_page_lists_every_option_with_its_default(name: str) -> None:
    settings_type = _INSTALLED.discovery_sources.get(name).settings_type
    assert settings_type is not None
    assert settings_rows(f"sources/{name}.md", "## Options") == documented_fields(settings_type)


# --- the examples ------------------------------------------------------------------------------

BLOCKS = [block for page in PAGES for block in code_blocks(page)]


def test_every_marked_block_uses_known_marks() -> None:
    known = {"run", "fragment", "excerpt", "append", "pyproject"}
    assert [
        (block.where, mark) for block in BLOCKS for mark in block.marks
        if mark.split(" ")[0] not in known
    ] == []  # fmt: skip


@pytest.mark.parametrize(
    "block", [b for b in BLOCKS if b.lang == "sh" and "mbf" in b.code], ids=lambda b: b.where
)
def test_every_mbf_command_line_names_a_real_command_and_options(block: CodeBlock) -> None:
    cli = make_cli(_INSTALLED)
    for words in shell_lines(block):
        if words[0] != "mbf":
            continue
        args = [w for w in words[1:] if w not in ("--debug",)]
        while args[:1] == ["--disable-plugin"]:
            args = args[2:]
        if args in (["--version"], ["--help"]):
            continue
        command = cli.get_command(click.Context(cli), args[0])
        assert command is not None, f"{block.where}: no command mbf {args[0]}"
        command.make_context(args[0], args[1:], resilient_parsing=True)


@pytest.mark.parametrize(
    "block", [b for b in BLOCKS if b.lang == "toml" and b.mark("pyproject") is None],
    ids=lambda b: b.where,
)  # fmt: skip
def test_every_toml_example_is_an_mbf_toml_the_plugins_accept(
    block: CodeBlock, tmp_path: Path
) -> None:
    path = tmp_path / "mbf.toml"
    path.write_text(block.code, encoding="utf-8")
    config = load_config(path)
    for name, table in config.services.items():
        settings = plugin_settings(
            table, _INSTALLED.tracker_services.get(name).settings_type, origin=name
        )
        if hasattr(settings, "check"):
            settings.check()
    for source in config.sources:
        if source.source and source.options:
            settings_type = _INSTALLED.discovery_sources.get(source.source).settings_type
            assert settings_type is not None
            plugin_settings(source.options, settings_type, origin=source.path)


@pytest.mark.parametrize(
    "block", [b for b in BLOCKS if b.lang == "toml" and b.mark("pyproject") is not None],
    ids=lambda b: b.where,
)  # fmt: skip
def test_every_pyproject_example_parses(block: CodeBlock) -> None:
    assert "project" in tomllib.loads(block.code)


def _copy_examples(root: Path) -> None:
    """What the pages' examples work on: the Contoso project (without its out/) and the
    example backlog, at the same paths as in the repository."""
    examples = root / "examples"
    (examples / "contoso").mkdir(parents=True)
    shutil.copy(ROOT / "examples" / "contoso" / "mbf.toml", examples / "contoso" / "mbf.toml")
    for folder in ("exports", "progress"):
        shutil.copytree(ROOT / "examples" / "contoso" / folder, examples / "contoso" / folder)
    shutil.copy(ROOT / "examples" / "backlog.json", examples / "backlog.json")


def _run_shell_block(
    block: CodeBlock, root: Path, cwd: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    for words in shell_lines(block):
        if words[0] == "cd":
            cwd = (cwd / words[1]).resolve()
            assert cwd.is_relative_to(root), f"{block.where}: cd out of the project copy"
            continue
        assert words[0] == "mbf", f"{block.where}: only mbf and cd lines can run, not {words}"
        args = words[1:]
        disabled = [args[i + 1] for i, a in enumerate(args[:-1]) if a == "--disable-plugin"]
        plugins = MbfPluginManager().load(disabled=disabled) if disabled else _INSTALLED
        monkeypatch.chdir(cwd)
        result = CliRunner().invoke(make_cli(plugins), args, prog_name="mbf")
        assert result.exit_code == 0, f"{block.where}: mbf {shlex.join(args)}\n{result.output}"
    return cwd


def _runnable(page: str) -> bool:
    return any(
        (b.lang == "sh" and b.mark("run") is not None)
        or (b.lang == "python")
        or (b.mark("append") is not None)
        for b in code_blocks(page)
    )


@pytest.mark.parametrize("page", [p for p in PAGES if _runnable(p)])
def test_examples_of_the_page_run(
    page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _copy_examples(tmp_path)
    cwd = tmp_path
    namespace: dict[str, Any] = {"__name__": f"docs_{Path(page).stem}"}
    for block in code_blocks(page):
        excerpt = block.mark("excerpt")
        if excerpt:
            source = (ROOT / excerpt).read_text(encoding="utf-8")
            assert block.code in source, f"{block.where}: not a verbatim excerpt of {excerpt}"
        if block.lang == "python":
            compiled = compile(block.code, block.where, "exec")
            if block.mark("fragment") is None:
                monkeypatch.chdir(cwd)
                exec(compiled, namespace)
        elif block.lang == "toml" and (appended := block.mark("append")):
            with (tmp_path / appended).open("a", encoding="utf-8") as target:
                target.write("\n" + block.code)
        elif block.lang == "sh" and block.mark("run") is not None:
            cwd = _run_shell_block(block, tmp_path, cwd, monkeypatch)


@pytest.mark.parametrize("page", PAGES)
def test_every_python_example_compiles(page: str) -> None:
    for block in code_blocks(page):
        if block.lang == "python":
            compile(block.code, block.where, "exec")


@pytest.mark.parametrize("block", [b for b in BLOCKS if b.lang == "json"], ids=lambda b: b.where)
def test_every_json_example_parses(block: CodeBlock) -> None:
    assert isinstance(json.loads(block.code), dict)


# --- getting started shows what the example build really does ----------------------------------


@pytest.fixture(scope="module")
def example_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The example project built once, as the getting-started page does: its out/ and the output."""
    root = tmp_path_factory.mktemp("getting-started")
    _copy_examples(root)
    config = root / "examples" / "contoso" / "mbf.toml"
    result = CliRunner().invoke(make_cli(_INSTALLED), ["build", "-c", str(config)], prog_name="mbf")
    assert result.exit_code == 0, result.output
    return config.parent / "out", result.stdout.replace(str(config), "examples/contoso/mbf.toml")


def test_getting_started_lists_every_file_the_example_build_writes(
    example_build: tuple[Path, str],
) -> None:
    rows = table_rows(section("getting-started.md", "## What each output is"))
    listed = {name for row in rows[1:] for name in code_names(row[0])}
    assert listed == {path.name for path in example_build[0].iterdir()}


def test_getting_started_shows_the_summary_the_example_build_prints(
    example_build: tuple[Path, str],
) -> None:
    shown = next(b for b in code_blocks("getting-started.md") if b.lang == "text").code
    timing = re.compile(r"^(Built \S+) in .*$", re.MULTILINE)  # seconds vary from run to run
    assert timing.sub(r"\1", shown) == timing.sub(r"\1", example_build[1])
