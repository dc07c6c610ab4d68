"""Find the entry points of one group among the installed distributions, quickly.

This reads what ``importlib.metadata.entry_points(group=...)`` reads, the ``entry_points.txt`` of
every ``*.dist-info`` (or ``*.egg-info``) directory on ``sys.path``, with the same rules: the
first distribution of a name on ``sys.path`` wins, and its name and version come from the
``Name`` and ``Version`` headers of its core metadata. It exists because every ``mbf`` command
starts by finding its plugins, and importing ``importlib.metadata`` (which pulls in the email
parser for metadata it never needs here) and parsing every distribution's metadata was a fifth of
``mbf --help``. Distributions inside zip files on ``sys.path`` are not searched: pip, uv and
editable installs all create directories.

The formats are the Python Packaging Authority's "Entry points specification" and "Recording
installed projects" (core metadata headers end at the first blank line).
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import re
import sys
from collections.abc import Iterable

__all__ = ["PluginEntryPoint", "find_entry_points"]

_METADATA_SUFFIXES = {".dist-info": "METADATA", ".egg-info": "PKG-INFO"}
_SEPARATORS = re.compile(r"[-_.]+")
_VALUE = re.compile(r"^(?P<module>[\w.]+)\s*(?::\s*(?P<attr>[\w.]+)\s*)?(?:\[.*\])?\s*$")


@dataclasses.dataclass(frozen=True)
class PluginEntryPoint:
    """One ``name = module:attr`` line of a distribution's entry points."""

    name: str
    """The entry point's name (for mbf: the plugin's name)."""
    value: str
    """``module`` or ``module:attribute``, as written."""
    distribution: str
    """Name of the distribution that declares it, as its metadata spells it."""
    version: str
    """That distribution's version."""

    def load(self) -> object:
        """Import the module and return it, or the named attribute of it."""
        match = _VALUE.match(self.value)
        if match is None:
            raise ValueError(f"malformed entry point value {self.value!r}")
        target: object = importlib.import_module(match["module"])
        attributes = match["attr"]
        for attribute in attributes.split(".") if attributes else ():
            target = getattr(target, attribute)
        return target


def find_entry_points(group: str, path: Iterable[str] | None = None) -> list[PluginEntryPoint]:
    """Entry points of ``group`` in the distributions found on ``path`` (``sys.path``), by name."""
    seen: set[str] = set()
    found: list[PluginEntryPoint] = []
    for entry in sys.path if path is None else path:
        for info in _metadata_directories(entry or "."):
            key = _SEPARATORS.sub("_", os.path.basename(info).split("-", 1)[0]).lower()
            if key in seen:
                continue  # an earlier sys.path entry shadows this copy, as for imports
            seen.add(key)
            lines = _entry_point_lines(os.path.join(info, "entry_points.txt"), group)
            if lines:
                name, version = _name_and_version(info)
                found += [PluginEntryPoint(n, v, name, version) for n, v in lines]
    return sorted(found, key=lambda entry_point: entry_point.name)


def _metadata_directories(entry: str) -> list[str]:
    try:
        names = os.listdir(entry)
    except OSError:  # not a directory (a zip file), or gone
        return []
    suffixes = tuple(_METADATA_SUFFIXES)
    return [os.path.join(entry, name) for name in names if name.endswith(suffixes)]


def _entry_point_lines(path: str, group: str) -> list[tuple[str, str]]:
    try:
        with open(path, encoding="utf-8") as stream:
            text = stream.read()
    except OSError:  # most distributions declare no entry points
        return []
    lines: list[tuple[str, str]] = []
    section = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
        elif section == group and "=" in line:
            name, value = line.split("=", 1)
            lines.append((name.strip(), value.strip()))
    return lines


def _name_and_version(info: str) -> tuple[str, str]:
    headers: dict[str, str] = {}
    metadata = os.path.join(info, _METADATA_SUFFIXES[os.path.splitext(info)[1]])
    try:
        with open(metadata, encoding="utf-8") as stream:
            for line in stream:
                if not line.strip():
                    break  # the body (the long description) follows the headers
                key, _, value = line.partition(":")
                headers.setdefault(key.strip().lower(), value.strip())
    except OSError:
        pass
    return headers.get("name", "?"), headers.get("version", "?")
