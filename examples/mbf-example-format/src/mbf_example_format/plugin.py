"""The plugin's hook implementations; mbf finds this module through the ``mbf`` entry point."""

from __future__ import annotations

from collections.abc import Iterator

from mbf import hookimpl
from mbf.plugin import TrackerFormat


@hookimpl
def mbf_tracker_formats() -> Iterator[TrackerFormat]:
    # Imported here, not at the top: every ``mbf`` command imports this module, and the format
    # module brings in mbf's domain model, which ``mbf --help`` never needs.
    from mbf_example_format.checklist import (
        CAPABILITIES,
        looks_like_checklist,
        read_checklist,
        write_checklist,
    )

    yield TrackerFormat(
        name="markdown-checklist",
        description="A backlog as a nested Markdown checklist (example plugin)",
        aliases=("md",),
        default_filenames=("*.md",),
        read=read_checklist,
        write=write_checklist,
        can_read=looks_like_checklist,
        capabilities=CAPABILITIES,
    )
