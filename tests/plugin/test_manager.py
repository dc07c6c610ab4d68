"""The plugin manager loads, checks, attributes and finds what plugins provide."""

from pathlib import Path

import pytest

from mbf.errors import AmbiguousFormatError, FormatNotFoundError, PluginConflictError
from mbf.plugin import hookimpl
from mbf.plugin.manager import MbfPluginManager

FORMAT_PLUGIN = """
from mbf import hookimpl
from mbf.plugin import TrackerFormat

def _read(path, context):
    raise NotImplementedError

@hookimpl
def mbf_tracker_formats():
    yield TrackerFormat(name="{name}", description="test format", read=_read,
                        default_filenames=("{glob}",), can_read=lambda p: p.read_text().startswith("{magic}"))
"""


def plugin_source(name: str, glob: str = "*.fmt", magic: str = "FMT") -> str:
    return FORMAT_PLUGIN.format(name=name, glob=glob, magic=magic)


def loaded() -> MbfPluginManager:
    return MbfPluginManager().load()


def test_builtins_are_registered_and_attributed() -> None:
    manager = MbfPluginManager().load(entry_points=False)
    assert manager.tracker_formats.owners["mbf-json"] == "native-format"
    assert manager.distribution_of("native-format") == "mbf"
    assert "convert" in manager.commands.objects


def test_installed_plugin_is_loaded_from_its_entry_point(fake_distribution) -> None:
    fake_distribution("tsv", plugin_source("tsv-outline"))
    manager = loaded()
    assert manager.tracker_formats.owners["tsv-outline"] == "tsv"
    assert manager.distribution_of("tsv") == "mbf-tsv"
    assert [b for b in manager.broken if b.name == "tsv"] == []


def test_misspelt_hook_is_reported_with_its_name_and_skipped(fake_distribution) -> None:
    fake_distribution(
        "typo",
        """
        from mbf import hookimpl

        @hookimpl
        def mbf_tracker_format():
            yield from ()
        """,
    )
    manager = loaded()
    assert [(b.name, b.distribution, b.error) for b in manager.broken if b.name == "typo"] == [
        (
            "typo",
            "mbf-typo",
            "implements unknown hook 'mbf_tracker_format' (did you mean 'mbf_tracker_formats'?)",
        )
    ]
    assert manager.get_plugin("typo") is None
    assert "mbf-json" in manager.tracker_formats.objects


def test_plugin_whose_import_raises_is_reported_and_skipped(fake_distribution) -> None:
    fake_distribution("explodes", "raise RuntimeError('no licence server')\n")
    manager = loaded()
    assert [(b.name, b.error) for b in manager.broken if b.name == "explodes"] == [
        ("explodes", "import failed: RuntimeError('no licence server')")
    ]
    assert "convert" in manager.commands.objects


def test_registry_hook_that_raises_is_reported_and_skipped(fake_distribution) -> None:
    fake_distribution(
        "faulty",
        """
        from mbf import hookimpl

        @hookimpl
        def mbf_tracker_formats():
            raise KeyError("oops")
        """,
    )
    manager = loaded()
    assert manager.tracker_formats.get("mbf-json").name == "mbf-json"
    assert "faulty" not in manager.tracker_formats.owners.values()
    assert [(b.name, b.error) for b in manager.broken if b.name == "faulty"] == [
        ("faulty", "mbf_tracker_formats raised KeyError('oops')")
    ]


def test_two_plugins_with_one_format_name_are_refused_naming_both(fake_distribution) -> None:
    fake_distribution("alpha", plugin_source("outline"))
    fake_distribution("beta", plugin_source("outline"))
    manager = loaded()
    assert manager.tracker_formats.conflicts == {"outline": ("alpha", "beta")}
    assert "outline" not in manager.tracker_formats.objects
    with pytest.raises(PluginConflictError) as caught:
        manager.tracker_formats.get("outline")
    assert str(caught.value) == (
        "tracker format 'outline' is provided by two plugins, 'alpha' and 'beta'; "
        "disable one with --disable-plugin or MBF_DISABLE_PLUGINS"
    )
    assert manager.tracker_formats.get("mbf-json").name == "mbf-json"


def test_a_plugin_can_be_disabled_by_argument_or_environment(
    fake_distribution, monkeypatch
) -> None:
    fake_distribution("alpha", plugin_source("outline"))
    fake_distribution("beta", plugin_source("outline-b"))
    assert MbfPluginManager().load(disabled=["alpha"]).get_plugin("alpha") is None
    monkeypatch.setenv("MBF_DISABLE_PLUGINS", "beta, alpha")
    manager = MbfPluginManager().load()
    assert (manager.get_plugin("alpha"), manager.get_plugin("beta")) == (None, None)


def test_the_plugins_command_cannot_be_disabled() -> None:
    manager = MbfPluginManager().load(
        disabled=["core-commands", "native-format"], entry_points=False
    )
    assert "plugins" in manager.commands.objects
    assert "mbf-json" not in manager.tracker_formats.objects


class TestDetection:
    @pytest.fixture
    def manager(self, fake_distribution) -> MbfPluginManager:
        fake_distribution("alpha", plugin_source("alpha-fmt", "*.fmt", "ALPHA"))
        fake_distribution("beta", plugin_source("beta-fmt", "*.fmt", "BETA"))
        fake_distribution("gamma", plugin_source("gamma-fmt", "*.gam", "GAMMA"))
        return loaded()

    def test_by_name_and_alias(self, manager: MbfPluginManager, tmp_path: Path) -> None:
        assert (
            manager.find_tracker_format(tmp_path / "x", "ALPHA-FMT", for_reading=True).name
            == "alpha-fmt"
        )
        assert (
            manager.find_tracker_format(tmp_path / "x", "json", for_reading=False).name
            == "mbf-json"
        )

    def test_unknown_name_lists_the_available_formats(
        self, manager: MbfPluginManager, tmp_path: Path
    ) -> None:
        with pytest.raises(FormatNotFoundError) as caught:
            manager.find_tracker_format(tmp_path / "x", "nope", for_reading=True)
        message = str(caught.value)
        prefix, suffix = "unknown tracker format 'nope'; available: ", " (pass one with --from)"
        assert message.startswith(prefix)
        assert message.endswith(suffix)
        listed = message[len(prefix) : -len(suffix)].split(", ")
        assert listed == sorted(manager.tracker_formats.objects)
        assert {"alpha-fmt", "beta-fmt", "gamma-fmt", "mbf-json"} <= set(listed)

    def test_by_file_name(self, manager: MbfPluginManager, tmp_path: Path) -> None:
        path = tmp_path / "plan.GAM"
        path.write_text("anything")
        assert manager.find_tracker_format(path, for_reading=True).name == "gamma-fmt"

    def test_file_name_shared_by_two_formats_is_settled_by_content(
        self, manager: MbfPluginManager, tmp_path: Path
    ) -> None:
        path = tmp_path / "plan.fmt"
        path.write_text("BETA rows")
        assert manager.find_tracker_format(path, for_reading=True).name == "beta-fmt"

    def test_by_content_when_the_name_says_nothing(
        self, manager: MbfPluginManager, tmp_path: Path
    ) -> None:
        path = tmp_path / "export.dat"
        path.write_text("GAMMA rows")
        assert manager.find_tracker_format(path, for_reading=True).name == "gamma-fmt"

    def test_ambiguous_file_lists_the_candidates(
        self, manager: MbfPluginManager, tmp_path: Path
    ) -> None:
        path = tmp_path / "plan.fmt"
        path.write_text("neither")
        with pytest.raises(AmbiguousFormatError) as caught:
            manager.find_tracker_format(path, for_reading=True)
        assert str(caught.value) == (
            f"{path}: could be read as any tracker format of: alpha-fmt, beta-fmt; choose one with --from NAME"
        )

    def test_unrecognised_file_lists_every_format(
        self, manager: MbfPluginManager, tmp_path: Path
    ) -> None:
        path = tmp_path / "notes.txt"
        path.write_text("hello")
        with pytest.raises(FormatNotFoundError) as caught:
            manager.find_tracker_format(path, for_reading=True)
        message = str(caught.value)
        assert message.startswith(
            f"{path}: no tracker format recognises this file; pass --from NAME (available: "
        )
        assert "alpha-fmt, beta-fmt, gamma-fmt" in message

    def test_a_reader_only_format_is_not_chosen_for_writing(
        self, manager: MbfPluginManager, tmp_path: Path
    ) -> None:
        with pytest.raises(
            FormatNotFoundError, match="tracker format 'gamma-fmt' cannot write files"
        ):
            manager.find_tracker_format(tmp_path / "out.gam", "gamma-fmt", for_reading=False)
        with pytest.raises(FormatNotFoundError, match="no tracker format recognises"):
            manager.find_tracker_format(tmp_path / "out.gam", for_reading=False)


def test_configure_reaches_plugins_registered_before_and_after(
    plugin_manager, register_plugin
) -> None:
    from mbf.config import MbfConfig, ProjectConfig

    seen: list[str] = []

    class Early:
        @hookimpl
        def mbf_configure(self, config):
            seen.append(f"early:{config.project.name}")

    class Late:
        @hookimpl
        def mbf_configure(self, config):
            seen.append(f"late:{config.project.name}")

    register_plugin(Early(), name="early")
    plugin_manager.configure(MbfConfig(project=ProjectConfig(name="Exit AMS1")))
    register_plugin(Late(), name="late")
    assert seen == ["early:Exit AMS1", "late:Exit AMS1"]


def test_configure_error_stops_the_command(
    plugin_manager, register_plugin, mbf_cli, tmp_path
) -> None:
    import click

    from mbf.errors import ConfigError

    class Strict:
        @hookimpl
        def mbf_configure(self, config):
            raise ConfigError("mbf.toml: services.jira.project is required")

        @hookimpl
        def mbf_commands(self):
            @click.command("check")
            @click.option("-c", "config_path", type=click.Path(path_type=Path))
            def check(config_path):
                click.get_current_context().obj.load_config(config_path)

            yield check

    register_plugin(Strict(), name="strict")
    (tmp_path / "mbf.toml").write_text("[services.jira]\nurl = 'https://x'\n")
    result = mbf_cli("check", "-c", str(tmp_path / "mbf.toml"))
    assert (result.exit_code, result.stderr) == (
        1,
        "Error: mbf.toml: services.jira.project is required\n",
    )
