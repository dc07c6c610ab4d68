"""mbf's entry-point finder against importlib.metadata, and what ``mbf`` imports to start."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from pathlib import Path

import attrs

from mbf.domain import WorkItem
from mbf.plugin import ALL_CAPABILITIES
from mbf.plugin.entry_points import PluginEntryPoint, find_entry_points


def test_finds_what_importlib_metadata_finds_in_this_environment() -> None:
    expected = sorted(
        (e.name, e.value, e.dist.name if e.dist else "?", e.dist.version if e.dist else "?")
        for e in importlib.metadata.entry_points(group="mbf")
    )
    found = [(e.name, e.value, e.distribution, e.version) for e in find_entry_points("mbf")]
    assert found == expected
    assert [name for name, *_ in found] == [
        "azure-devops",
        "azure-migrate",
        "cmdb-csv",
        "excel",
        "jira",
        "markdown-checklist",
        "msproject",
        "rvtools",
    ]


def _dist_info(site: Path, directory: str, metadata: str, entry_points: str) -> None:
    info = site / directory
    info.mkdir(parents=True)
    (info / ("PKG-INFO" if directory.endswith(".egg-info") else "METADATA")).write_text(metadata)
    (info / "entry_points.txt").write_text(entry_points)


def test_reads_groups_comments_egg_info_and_lets_the_first_copy_win(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    _dist_info(
        first,
        "Acme.Plugins-2.0.dist-info",
        "Metadata-Version: 2.1\nName: Acme.Plugins\nVersion: 2.0\n\nName: not a header\n",
        "# a comment\n[console_scripts]\nacme = acme.cli:main\n\n"
        "[mbf]\n; another comment\nacme-cmdb = acme.cmdb\nacme-jira = acme.trackers:jira.plugin [live]\n",
    )
    _dist_info(  # the same distribution again, later on the path: shadowed
        second,
        "acme_plugins-1.0.dist-info",
        "Name: acme-plugins\nVersion: 1.0\n",
        "[mbf]\nacme-old = acme.old\n",
    )
    _dist_info(
        second, "legacy-0.3.egg-info", "Name: legacy\nVersion: 0.3\n", "[mbf]\nold = legacy\n"
    )
    (second / "no_entry_points-1.0.dist-info").mkdir()
    (tmp_path / "a-file.zip").write_bytes(b"PK")

    found = find_entry_points("mbf", [str(first), str(tmp_path / "a-file.zip"), str(second)])

    assert found == [
        PluginEntryPoint("acme-cmdb", "acme.cmdb", "Acme.Plugins", "2.0"),
        PluginEntryPoint("acme-jira", "acme.trackers:jira.plugin [live]", "Acme.Plugins", "2.0"),
        PluginEntryPoint("old", "legacy", "legacy", "0.3"),
    ]


def test_load_returns_the_module_or_the_named_attribute() -> None:
    assert PluginEntryPoint("p", "mbf.plugin", "mbf", "0").load() is sys.modules["mbf.plugin"]
    loaded = PluginEntryPoint("p", "mbf.plugin.entry_points:PluginEntryPoint.load [x]", "d", "0")
    assert loaded.load() is PluginEntryPoint.load


def test_all_capabilities_are_the_work_item_fields_and_the_backlog_lists() -> None:
    # ALL_CAPABILITIES is spelled out so that importing mbf.plugin does not build the domain.
    fields = {field.name for field in attrs.fields(WorkItem)}
    assert fields | {"iterations", "releases"} == ALL_CAPABILITIES


def test_mbf_help_imports_neither_attrs_nor_importlib_metadata() -> None:
    # What ``mbf --help`` imports decides how long every command takes to start.
    probe = (
        "import sys\n"
        "from mbf.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = ['attrs', 'attr', 'cattrs', 'importlib.metadata', 'mbf.domain.backlog', 'zipfile']\n"
        "print(sorted(name for name in heavy if name in sys.modules), file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stderr.strip() == "[]"
