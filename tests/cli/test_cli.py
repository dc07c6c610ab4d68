"""The command line: exit codes, one-line errors, atomic outputs, and resilience to broken plugins."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mbf import __version__
from mbf.domain import Backlog
from mbf.plugin import TrackerFormat, hookimpl
from mbf.serialization import backlog_to_json

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "backlog.json"


def run_mbf(
    *args: str, pythonpath: str | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real ``mbf`` in a fresh process, as a user would."""
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run(
        [sys.executable, "-m", "mbf", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        check=False,
    )


def test_version(mbf_cli) -> None:
    result = mbf_cli("--version")
    assert (result.exit_code, result.stdout) == (0, f"mbf {__version__}\n")


def test_plugins_json_lists_builtins_and_installed_plugins() -> None:
    result = run_mbf("plugins", "--json")
    assert result.returncode == 0, result.stderr
    listing = json.loads(result.stdout)
    by_name = {p["name"]: p for p in listing["plugins"]}
    assert by_name["native-format"]["provides"] == {"tracker_formats": ["mbf-json"]}
    assert by_name["native-format"]["distribution"] == "mbf"
    assert by_name["core-commands"]["provides"]["commands"] == ["convert", "plugins"]
    assert by_name["markdown-checklist"]["distribution"] == "mbf-example-format"
    assert by_name["markdown-checklist"]["provides"] == {"tracker_formats": ["markdown-checklist"]}


def test_convert_example_twice_reproduces_it_byte_for_byte(tmp_path: Path) -> None:
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    assert run_mbf("convert", str(EXAMPLE), str(first)).returncode == 0
    result = run_mbf("convert", str(first), str(second))
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"Converted 48 items: {first} (mbf-json) -> {second} (mbf-json)\n"
    assert second.read_bytes() == EXAMPLE.read_bytes()


def test_a_finished_command_runs_atexit_handlers_and_flushes_its_output(tmp_path: Path) -> None:
    # The script ends the process as soon as a command has finished (App.finish): what a
    # normal exit does first must still happen, in order, through pipes that buffer.
    target = tmp_path / "copy.json"
    script = (
        "import atexit\n"
        "atexit.register(print, 'atexit handler ran')\n"
        "from mbf.cli import main\n"
        f"main(['convert', {str(EXAMPLE)!r}, {str(target)!r}])\n"
        "print('not reached')\n"
    )
    buffered = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=buffered, check=False
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == (
        f"Converted 48 items: {EXAMPLE} (mbf-json) -> {target} (mbf-json)\natexit handler ran\n"
    )
    assert target.read_bytes() == EXAMPLE.read_bytes()


def test_finish_returns_where_the_process_must_not_end_yet() -> None:
    script = """
import sys, threading
from mbf.cli import App
from mbf.plugin.manager import MbfPluginManager

app = App(plugin_manager=MbfPluginManager(), ends_process=True)
sys.setprofile(lambda *args: None)
app.finish()
sys.setprofile(None)
print("under a profiler: returned")
sys.settrace(lambda *args: None)
app.finish()
sys.settrace(None)
print("under a tracer: returned")
stop = threading.Event()
waiting = threading.Thread(target=stop.wait)
waiting.start()
app.finish()
print("beside a thread: returned")
stop.set()
waiting.join()
App(plugin_manager=MbfPluginManager()).finish()
print("in a test's runner: returned")
app.finish()
print("not reached")
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines() == [
        "under a profiler: returned",
        "under a tracer: returned",
        "beside a thread: returned",
        "in a test's runner: returned",
    ]


def _broken_input(tmp_path: Path, sample_backlog: Backlog, how: str) -> Path:
    document = json.loads(backlog_to_json(sample_backlog))
    if how == "truncated":
        text = backlog_to_json(sample_backlog)[:300].decode()
    else:
        if how == "unknown kind":
            document["items"][2]["kind"] = "sprint"
        elif how == "duplicate id":
            document["items"][4]["id"] = "story:pay-db01"
        elif how == "missing parent":
            document["items"][1]["parent_id"] = "epic:gone"
        text = json.dumps(document)
    path = tmp_path / "in.json"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("how", "message"),
    [
        ("truncated", "in.json: not valid JSON: "),
        ("unknown kind", "item 'story:pay-db01', field kind: unknown kind 'sprint'"),
        ("duplicate id", "duplicate item id 'story:pay-db01'"),
        ("missing parent", "item 'feature:payroll' has parent 'epic:gone', which does not exist"),
    ],
)
def test_bad_input_exits_1_with_one_message_and_no_output(
    tmp_path: Path, sample_backlog: Backlog, how: str, message: str
) -> None:
    source = _broken_input(tmp_path, sample_backlog, how)
    result = run_mbf("convert", str(source), str(tmp_path / "out.json"))
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.json"]


def test_debug_shows_the_traceback(tmp_path: Path, sample_backlog: Backlog) -> None:
    source = _broken_input(tmp_path, sample_backlog, "duplicate id")
    result = run_mbf("--debug", "convert", str(source), str(tmp_path / "out.json"))
    assert result.returncode == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert "mbf.errors.ValidationError" in result.stderr


def test_usage_error_exits_2(mbf_cli) -> None:
    result = mbf_cli("convert", str(EXAMPLE))
    assert result.exit_code == 2
    assert "Missing argument 'TARGET'" in result.stderr


def test_unknown_target_format_lists_candidates(mbf_cli, tmp_path: Path) -> None:
    result = mbf_cli("convert", str(EXAMPLE), str(tmp_path / "out.json"), "--to", "nope")
    assert result.exit_code == 1
    assert (
        result.stderr
        == "Error: unknown tracker format 'nope'; available: mbf-json (pass one with --to)\n"
    )


class _HalfWriter:
    """A format whose writer dies half-way, as a full disk or a bug would make it."""

    @hookimpl
    def mbf_tracker_formats(self):
        def write(backlog, path, context):
            path.write_text("half a fi")
            raise OSError("No space left on device")

        yield TrackerFormat(
            name="half",
            description="dies while writing",
            write=write,
            default_filenames=("*.half",),
        )


def test_a_failed_write_leaves_no_file_and_keeps_the_old_one(
    mbf_cli, register_plugin, tmp_path: Path
) -> None:
    register_plugin(_HalfWriter(), name="half")
    existing = tmp_path / "plan.half"
    existing.write_text("the previous plan")
    result = mbf_cli("convert", str(EXAMPLE), str(existing))
    assert result.exit_code != 0
    assert existing.read_text() == "the previous plan"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.half"]


BROKEN_PLUGINS = {
    "typo": "from mbf import hookimpl\n@hookimpl\ndef mbf_command():\n    return []\n",
    "explodes": "raise ImportError('missing licence')\n",
}


def test_broken_plugins_are_reported_and_the_cli_keeps_working(
    fake_distribution, tmp_path: Path
) -> None:
    site = ""
    for name, source in BROKEN_PLUGINS.items():
        site = fake_distribution(name, source)
    out = tmp_path / "out.json"
    result = run_mbf("convert", str(EXAMPLE), str(out), pythonpath=site)
    assert result.returncode == 0, result.stderr
    assert out.read_bytes() == EXAMPLE.read_bytes()
    assert (
        "Warning: plugin 'typo' (mbf-typo) skipped: implements unknown hook 'mbf_command'"
        in result.stderr
    )
    assert (
        "Warning: plugin 'explodes' (mbf-explodes) skipped: import failed: ImportError('missing licence')"
        in result.stderr
    )
    listing = json.loads(run_mbf("plugins", "--json", pythonpath=site).stdout)
    assert {b["name"] for b in listing["broken"]} >= {"typo", "explodes"}


def test_same_format_name_from_two_plugins_names_both_and_other_formats_work(
    fake_distribution, tmp_path: Path
) -> None:
    source = (
        "from mbf import hookimpl\nfrom mbf.plugin import TrackerFormat\n"
        "@hookimpl\ndef mbf_tracker_formats():\n"
        "    yield TrackerFormat(name='outline', description='d', write=lambda b, p, c: None)\n"
    )
    fake_distribution("alpha", source)
    site = fake_distribution("beta", source)
    result = run_mbf(
        "convert", str(EXAMPLE), str(tmp_path / "x.out"), "--to", "outline", pythonpath=site
    )
    assert result.returncode == 1
    assert (
        "tracker format 'outline' is provided by two plugins, 'alpha' and 'beta'" in result.stderr
    )
    ok = run_mbf("convert", str(EXAMPLE), str(tmp_path / "x.json"), pythonpath=site)
    assert ok.returncode == 0, ok.stderr
    conflicts = json.loads(run_mbf("plugins", "--json", pythonpath=site).stdout)["conflicts"]
    assert conflicts == [
        {"kind": "tracker format", "name": "outline", "plugins": ["alpha", "beta"]}
    ]


def test_disable_plugin_flag_hides_its_format(tmp_path: Path) -> None:
    result = run_mbf(
        "--disable-plugin", "markdown-checklist", "convert", str(EXAMPLE), str(tmp_path / "b.md")
    )
    assert result.returncode == 1
    assert "no tracker format recognises this file" in result.stderr


class _EpicsOnly:
    """A format that holds only epics, as a portfolio sheet would."""

    @hookimpl
    def mbf_tracker_formats(self):
        def write(backlog, path, context):
            path.write_text("\n".join(i.title for i in backlog.items if i.kind == "epic"))

        yield TrackerFormat(
            name="epics",
            description="epic titles",
            write=write,
            default_filenames=("*.epics",),
            capabilities={"title"},
            kinds={"epic"},
        )


def test_convert_reports_items_of_kinds_the_target_cannot_hold(
    mbf_cli, register_plugin, tmp_path: Path
) -> None:
    register_plugin(_EpicsOnly(), name="epics")
    result = mbf_cli("convert", str(EXAMPLE), str(tmp_path / "p.epics"))
    assert result.exit_code == 0, result.output
    assert "Warning: epics cannot hold 'feature items'; lost on 3 item(s)" in result.stderr
    assert "Warning: epics cannot hold 'task items'; lost on 37 item(s)" in result.stderr
    assert (
        tmp_path / "p.epics"
    ).read_text() == "Migrate datacenter Amsterdam 1\nMigrate datacenter Dublin 2"
