"""Native files: one cattrs converter factory, the ``mbf-json`` estate and backlog files, TOML.

The native JSON file is the cattrs unstructuring of the domain classes with a header naming the
format and its version. Items are written parents first in a stable order and map keys sorted, so
the same backlog always gives the same bytes.
"""

from __future__ import annotations

import collections.abc
import datetime as dt
import enum
import functools
import re
import tomllib
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import attrs
import cattrs
import cattrs.preconf.json
import orjson
import tomli_w
from cattrs.errors import (
    AttributeValidationNote,
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)

from mbf._native_estate import dependencies_to_json, servers_to_json
from mbf._native_items import (
    estate_records_from_json,
    shared_values,
    work_items_from_json,
    work_items_to_json,
)
from mbf.domain import Backlog, Dependency, Estate, Server, WorkItem, hierarchy_order
from mbf.domain import backlog as backlog_module
from mbf.domain import estate as estate_module
from mbf.domain.validation import validate_backlog, validate_estate
from mbf.errors import InputError, MbfError, ValidationError
from mbf.files import atomic_output

__all__ = [
    "BACKLOG_FORMAT",
    "ESTATE_FORMAT",
    "FORMAT_VERSION",
    "backlog_from_json",
    "backlog_json_parts",
    "backlog_to_json",
    "dependencies_json_members",
    "describe_structure_error",
    "dump_toml",
    "estate_from_json",
    "estate_json_parts",
    "estate_to_json",
    "load_toml",
    "make_converter",
    "read_backlog",
    "read_estate",
    "server_records",
    "structure_strict",
    "write_backlog",
    "write_estate",
]

ESTATE_FORMAT = "mbf-estate"
BACKLOG_FORMAT = "mbf-backlog"
FORMAT_VERSION = 1
"""Version of the native file layout; files of a newer version are refused, never half-read."""

T = TypeVar("T")


def _is_mapping(type_: Any) -> bool:
    return typing.get_origin(type_) in (collections.abc.Mapping, dict, typing.Mapping)


def make_converter(
    *, forbid_extra_keys: bool = True, omit_if_default: bool = False
) -> cattrs.Converter:
    """Return a new converter for mbf's domain and config classes (never cattrs' global one).

    Dates travel as ISO 8601 strings, enums as their values, and mappings are written with sorted
    keys so output is deterministic. Unknown keys are refused unless ``forbid_extra_keys`` is false.
    Plugins that need hooks of their own call this and register them on their own converter.
    With ``omit_if_default``, fields at their default value are left out when unstructuring.
    """
    converter = cattrs.preconf.json.make_converter(
        forbid_extra_keys=forbid_extra_keys, omit_if_default=omit_if_default
    )

    def unstructure_sorted(type_: Any) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
        args = typing.get_args(type_)
        value_type = args[1] if len(args) == 2 else Any
        unstructure_value = converter.get_unstructure_hook(value_type)
        return lambda mapping: {k: unstructure_value(mapping[k]) for k in sorted(mapping)}

    converter.register_unstructure_hook_factory(_is_mapping, unstructure_sorted)
    converter.register_structure_hook(dt.date, _structure_date)
    return converter


def _structure_date(value: Any, _type: Any) -> dt.date:
    """ISO text (JSON) or a TOML date; a date-time is refused rather than silently truncated."""
    if isinstance(value, dt.datetime):
        raise ValueError(f"expected a date, got the date and time {value.isoformat()}")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        return dt.date.fromisoformat(value)
    raise ValueError(f"expected a date such as 2027-01-04, got {value!r}")


_converter = make_converter()
# Native files leave out fields at their default: the file is half the size, reads several times
# faster, and a diff shows only what carries meaning.
_native_converter = make_converter(omit_if_default=True)

# Names cattrs uses in its messages, mapped to the enum classes they stand for.
_ENUMS: dict[str, type[enum.Enum]] = {
    obj.__name__: obj
    for module in (estate_module, backlog_module)
    for obj in vars(module).values()
    if isinstance(obj, type) and issubclass(obj, enum.Enum)
}
_NOT_VALID = re.compile(r"^'?(?P<value>.*?)'? is not a valid (?P<enum>\w+)$")


def _leaf_errors(exc: BaseException, path: str) -> Iterator[tuple[str, str]]:
    """Walk a cattrs exception tree, yielding ``(path, message)`` for each underlying problem."""
    if isinstance(exc, ClassValidationError | IterableValidationError):
        with_notes, without_notes = exc.group_exceptions()
        for sub, note in with_notes:
            if isinstance(note, AttributeValidationNote):
                yield from _leaf_errors(sub, f"{path}.{note.name}" if path else note.name)
            elif isinstance(note, IterableValidationNote):
                yield from _leaf_errors(sub, f"{path}[{note.index}]")
            else:
                yield from _leaf_errors(sub, path)
        for sub in without_notes:
            yield from _leaf_errors(sub, path)
    elif isinstance(exc, ForbiddenExtraKeysError):
        for key in sorted(exc.extra_fields):
            yield (f"{path}.{key}" if path else key), "unknown key"
    elif isinstance(exc, KeyError):
        yield path, f"missing required field {exc.args[0]!r}" if exc.args else "missing field"
    elif isinstance(exc, ValueError) and (match := _NOT_VALID.match(str(exc))):
        enum_type = _ENUMS.get(match["enum"])
        expected = ", ".join(str(m.value) for m in enum_type) if enum_type else ""
        name = path.rsplit(".", 1)[-1]
        yield (
            path,
            f"unknown {name} {match['value']!r}"
            + (f" (expected one of: {expected})" if expected else ""),
        )
    else:
        yield path, f"invalid value ({exc})"


def _describe_config_problem(path: str, message: str) -> str:
    if message == "unknown key":
        return f"unknown key {path}"
    return f"{path}: {message}" if path else message


def describe_structure_error(
    exc: BaseException, *, describe: Callable[[str, str], str] = _describe_config_problem
) -> list[str]:
    """Turn a cattrs structuring error into one line per problem.

    By default a line reads like ``unknown key iterations.lenght_days`` or
    ``project.start: invalid value (...)``; ``describe(path, message)`` words it otherwise
    (native files name the item id instead of its index).
    """
    return [describe(path, message) for path, message in _leaf_errors(exc, "")]


def structure_strict(
    data: Any, type_: type[T], *, origin: str, converter: cattrs.Converter | None = None
) -> T:
    """Structure ``data`` into ``type_``, raising :class:`MbfError` with each problem's key path."""
    try:
        return (converter or _converter).structure(data, type_)
    except (ClassValidationError, IterableValidationError, ForbiddenExtraKeysError) as exc:
        lines = describe_structure_error(exc)
        raise MbfError("\n".join(f"{origin}: {line}" for line in lines)) from exc


# -- native JSON -------------------------------------------------------------------------------

_COLLECTION_LABELS = {
    "items": "item",
    "iterations": "iteration",
    "releases": "release",
    "datacenters": "datacenter",
    "servers": "server",
    "workloads": "workload",
}
_INDEXED = re.compile(r"^(?P<coll>\w+)\[(?P<index>\d+)\](?P<rest>.*)$")


def _problem_describer(raw: Mapping[str, Any]) -> Callable[[str, str], str]:
    """Word ``items[3].kind`` as ``item 'story:srv01', field kind`` using the raw document."""

    def describe(path: str, message: str) -> str:
        match = _INDEXED.match(path)
        if not match or match["coll"] not in _COLLECTION_LABELS:
            return _describe_config_problem(path, message)
        entry = raw[match["coll"]][int(match["index"])]
        what = _COLLECTION_LABELS[match["coll"]]
        if isinstance(entry, Mapping) and isinstance(entry.get("id"), str):
            owner = f"{what} {entry['id']!r}"
        else:
            owner = f"{what} #{int(match['index']) + 1}"
        field = match["rest"].lstrip(".")
        if message == "unknown key":
            return f"{owner}: unknown field {field!r}"
        return f"{owner}, field {field}: {message}" if field else f"{owner}: {message}"

    return describe


def _read_document(text: bytes | str, expected_format: str, origin: str) -> dict[str, Any]:
    try:
        document = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise InputError(
            f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}", path=origin
        ) from None
    except UnicodeDecodeError:
        raise InputError("not a UTF-8 text file", path=origin) from None
    if not isinstance(document, dict) or document.get("format") != expected_format:
        found = document.get("format") if isinstance(document, dict) else None
        raise InputError(
            f"not an {expected_format} file (its format is {found!r}, expected {expected_format!r})",
            path=origin,
        )
    version = document.get("version")
    if not isinstance(version, int):
        raise InputError(f"the file has no integer 'version' (found {version!r})", path=origin)
    if version > FORMAT_VERSION:
        raise InputError(
            f"written by a newer mbf ({expected_format} version {version}; this mbf reads up to "
            f"version {FORMAT_VERSION}). Upgrade mbf to read it.",
            path=origin,
        )
    return document


def _structure_document(document: dict[str, Any], type_: type[T], origin: str) -> T:
    body = {k: v for k, v in document.items() if k not in ("format", "version")}
    try:
        return _native_converter.structure(body, type_)
    except (ClassValidationError, IterableValidationError, ForbiddenExtraKeysError) as exc:
        raise ValidationError(
            describe_structure_error(exc, describe=_problem_describer(body)), origin=origin
        ) from None


def _dump_document(format_name: str, body: dict[str, Any]) -> bytes:
    document = {"format": format_name, "version": FORMAT_VERSION, **body}
    # orjson writes what json.dumps(indent=2, ensure_ascii=False) would, thirty times faster.
    return orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)


def backlog_to_json(backlog: Backlog) -> bytes:
    """The native file of ``backlog``: same backlog, same bytes."""
    return b"".join(backlog_json_parts(backlog))


_ITEMS_PER_PART = 512


def backlog_json_parts(backlog: Backlog) -> Iterator[bytes]:
    """The native file of ``backlog`` in parts, whose concatenation is :func:`backlog_to_json`.

    A large backlog's items are converted and dumped 512 at a time (a part's objects stay in
    the processor's caches), so that neither their JSON objects nor the file's bytes are ever
    all in memory at once: at 359,000 items that is about 500 MB less, and a second of system
    time handing out pages saved.
    """
    # The items go through the fast path; iterations and releases (a few hundred) through cattrs.
    body = _native_converter.unstructure(
        Backlog(iterations=backlog.iterations, releases=backlog.releases)
    )
    if not backlog.items:
        yield _dump_document(BACKLOG_FORMAT, body)
        return
    # The document around an empty item list, split where the items go: only "format" and
    # "version" come before "items", so the first '"items": []' is that key.
    head, tail = _dump_document(BACKLOG_FORMAT, {"items": [], **body}).split(b'"items": []', 1)
    yield head + b'"items": ['
    unstructure = _native_converter.unstructure
    converted_links: dict[int, dict[str, Any]] = {}

    def items_to_json(part: Sequence[WorkItem]) -> list[dict[str, Any]]:
        return work_items_to_json(part, unstructure, converted_links)

    yield from _list_members(hierarchy_order(backlog.items), items_to_json, _ITEMS_PER_PART)
    yield b"\n  ]" + tail


def _list_members(
    records: Sequence[T], to_json: Callable[[Sequence[T]], list[Any]], per_part: int
) -> Iterator[bytes]:
    """The members of a top-level list of a native file, as :func:`_dump_document` would
    write them between the list's ``[`` and its closing line: ``records`` made JSON objects by
    ``to_json`` and dumped ``per_part`` at a time."""
    separator = b"\n"
    for start in range(0, len(records), per_part):
        # In the document the members sit two levels deep, as in {"list": [...]}: dumped so,
        # orjson indents them as the document does, and the wrapper's lines are cut off.
        dumped = orjson.dumps(
            {"list": to_json(records[start : start + per_part])}, option=orjson.OPT_INDENT_2
        )
        yield separator + dumped[len(_WRAPPER_HEAD) : -len(_WRAPPER_TAIL)]
        separator = b",\n"


_WRAPPER_HEAD, _WRAPPER_TAIL = b'{\n  "list": [\n', b"\n  ]\n}"
"""The lines orjson writes around the members of ``{"list": [...]}``; cutting them off spares
indenting every line of a 200 MB backlog again (0.1 s of writing it)."""


def backlog_from_json(text: bytes | str, *, origin: str = "<backlog>") -> Backlog:
    """Read a native backlog file's content; raise :class:`MbfError` naming ``origin`` on any problem."""
    backlog = _backlog_in_parts(text, origin) if type(text) is bytes else None
    if backlog is None:
        document = _read_document(text, BACKLOG_FORMAT, origin)
        backlog = _structure_backlog(document, origin)
    return validate_backlog(backlog, origin=origin)


_ITEM_BREAK = b"\n    },\n    {\n"
"""What stands between two records of a top-level list in a file mbf wrote: the records are its
only objects indented by 4."""
_BYTES_PER_PART = 1 << 16

_PartReader = Callable[[list[Any]], list[Any] | None]


def _lists_in_parts(
    text: bytes, format_name: str, readers: Mapping[str, _PartReader]
) -> tuple[dict[str, Any], dict[str, list[Any]]] | None:
    """The document in ``text`` without the records of its ``readers``' top-level lists, and
    those records as each reader builds them, parsed about 64 KB at a time; or ``None`` when the
    file is not laid out as mbf writes it or a reader refuses a part (returns ``None``), and the
    caller reads it whole (and so reports problems exactly as before).

    Parsing a 150 MB file whole makes every record's JSON object before the first domain object
    is built: hundreds of MB more at the peak, and as many more pages for the system to hand
    out. Cutting a list at the text between two records is safe because JSON strings hold no raw
    newline: when the document without those records parses, and each part parses as a list on
    its own, the whole parses as the same records in the same order.
    """
    head = f'{{\n  "format": "{format_name}",\n  "version": {FORMAT_VERSION},\n'.encode()
    if not text.startswith(head):
        return None
    outside: list[bytes] = []  # the text around the lists' records
    records: dict[str, list[Any]] = {}
    cursor = 0
    for key, read_part in readers.items():
        opening = f'\n  "{key}": [\n'.encode()
        found = text.find(opening, cursor)
        if found < 0:
            continue  # an empty list is left out of the file
        first = found + len(opening)
        end = text.find(b"\n  ]", first)  # the first line indented by 2 after the records
        if end < 0:
            return None
        outside.append(text[cursor : first - 1])
        cursor = end
        read: list[Any] = []
        start = first
        while start < end:
            cut = text.find(_ITEM_BREAK, min(start + _BYTES_PER_PART, end), end)
            stop = end if cut < 0 else cut + 6  # up to the closing brace of the part's last record
            try:
                raw = orjson.loads(b"[" + text[start:stop] + b"]")
            except ValueError:  # orjson's JSONDecodeError, or bytes that are not UTF-8
                return None
            part = read_part(raw)
            if part is None:
                return None
            read.extend(part)
            start = stop + 1  # past the comma between the two records
        records[key] = read
    outside.append(text[cursor:])
    try:
        rest = orjson.loads(b"".join(outside))
    except ValueError:
        return None
    if type(rest) is not dict or any(rest.get(key) != [] for key in records):
        return None
    return rest, records


def _backlog_in_parts(text: bytes, origin: str) -> Backlog | None:
    """The backlog of a file laid out as mbf writes it, its items read a part at a time
    (:func:`_lists_in_parts`), or ``None``."""
    shared = shared_values()
    read = _lists_in_parts(
        text, BACKLOG_FORMAT, {"items": lambda raw: work_items_from_json(raw, shared)}
    )
    if read is None:
        return None
    rest, records = read
    others = _structure_document(rest, Backlog, origin)
    return Backlog(
        items=records.get("items", ()), iterations=others.iterations, releases=others.releases
    )


def _structure_backlog(document: dict[str, Any], origin: str) -> Backlog:
    """The backlog of a native document: its items through the fast path when they allow it."""
    raw_items = document.get("items")
    if type(raw_items) is list and raw_items:
        items = work_items_from_json(raw_items)
        if items is not None:
            rest = _structure_document({**document, "items": []}, Backlog, origin)
            return Backlog(items=items, iterations=rest.iterations, releases=rest.releases)
    return _structure_document(document, Backlog, origin)  # cattrs: the reference, and its errors


def estate_to_json(estate: Estate) -> bytes:
    """The native file of ``estate``: same estate, same bytes."""
    return b"".join(estate_json_parts(estate))


_RECORDS_PER_PART = 2048


def estate_json_parts(
    estate: Estate,
    *,
    dependencies_json: Callable[[], bytes] | None = None,
    server_records: Sequence[dict[str, Any]] | None = None,
) -> Iterator[bytes]:
    """The native file of ``estate`` in parts, whose concatenation is :func:`estate_to_json`.

    Servers and dependencies (a quarter of a million at 50,000 servers) go through the fast
    path and are dumped a few thousand at a time, so that neither their JSON objects nor the
    file's bytes are ever all in memory at once; the rest goes through cattrs, which also leaves
    out the empty collections.

    ``dependencies_json``: what gives the estate's dependencies as
    :func:`dependencies_json_members` writes them, in place of ``estate.dependencies`` (which
    are then none), at least one; called when their turn comes (a worker process that holds
    them writes them meanwhile). ``server_records``: the :func:`server_records` of
    ``estate.servers``, where they were made already.
    """
    if dependencies_json is not None and estate.dependencies:
        raise ValueError("an estate's dependencies are given twice")
    unstructure = _native_converter.unstructure
    rest = unstructure(attrs.evolve(estate, servers=(), dependencies=()))

    def servers(part: Sequence[Any]) -> list[dict[str, Any]]:
        return servers_to_json(part, unstructure)

    large: dict[str, tuple[Sequence[Any], Callable[[Sequence[Any]], list[dict[str, Any]]]]] = {
        "servers": (estate.servers, servers),
        "dependencies": (estate.dependencies, dependencies_to_json),
    }
    if server_records is not None:
        if len(server_records) != len(estate.servers):
            raise ValueError("one record per server is expected")
        large["servers"] = (server_records, list)
    written = {"dependencies": dependencies_json} if dependencies_json is not None else {}
    # The document with an empty list where each large collection goes, split there: a key
    # indented by two spaces is a key of the document itself, never one of a nested mapping.
    body = {
        name: [] if name in large else rest[name]
        for name in (field.name for field in attrs.fields(Estate))
        if (large[name][0] or name in written if name in large else name in rest)
    }
    document = _dump_document(ESTATE_FORMAT, body)
    for name, (records, to_json) in large.items():
        if not records and name not in written:
            continue
        head, document = document.split(b'\n  "' + name.encode() + b'": []', 1)
        yield head + b'\n  "' + name.encode() + b'": ['
        if name in written:
            yield written[name]()
        else:
            yield from _list_members(records, to_json, _RECORDS_PER_PART)
        document = b"\n  ]" + document
    yield document


def dependencies_json_members(dependencies: Sequence[Dependency]) -> bytes:
    """The members of an estate file's ``dependencies`` list, as :func:`estate_json_parts`
    writes them (for its ``dependencies_json``)."""
    return b"".join(_list_members(dependencies, dependencies_to_json, _RECORDS_PER_PART))


def estate_from_json(text: bytes | str, *, origin: str = "<estate>") -> Estate:
    """Read a native estate file's content; raise :class:`MbfError` naming ``origin`` on any problem."""
    estate = _estate_in_parts(text, origin) if type(text) is bytes else None
    if estate is None:
        document = _read_document(text, ESTATE_FORMAT, origin)
        estate = _structure_estate(document, origin)
    return validate_estate(estate, origin=origin)


_FAST_ESTATE_COLLECTIONS = ("servers", "workloads", "dependencies")


def _estate_in_parts(text: bytes, origin: str) -> Estate | None:
    """The estate of a file laid out as mbf writes it, its servers, workloads and dependencies
    read a part at a time (:func:`_lists_in_parts`), or ``None``."""
    read = _lists_in_parts(
        text,
        ESTATE_FORMAT,
        {
            collection: functools.partial(estate_records_from_json, collection)
            for collection in _FAST_ESTATE_COLLECTIONS
        },
    )
    if read is None:
        return None
    rest, records = read
    return attrs.evolve(_structure_document(rest, Estate, origin), **records)


def _structure_estate(document: dict[str, Any], origin: str) -> Estate:
    """The estate of a native document: its servers, workloads and dependencies through the fast
    path when they allow it, the rest (datacenters, sources: a handful) through cattrs."""
    fast: dict[str, list[Any]] = {}
    for collection in _FAST_ESTATE_COLLECTIONS:
        raw = document.get(collection)
        if type(raw) is list and raw:
            records = estate_records_from_json(collection, raw)
            if records is None:
                return _structure_document(document, Estate, origin)  # cattrs' errors
            fast[collection] = records
    rest = _structure_document({**document, **{key: [] for key in fast}}, Estate, origin)
    return attrs.evolve(rest, **fast)


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError("no such file", path=path) from None
    except IsADirectoryError:
        raise InputError("is a directory, expected a file", path=path) from None


def read_backlog(path: Path) -> Backlog:
    """Read a native backlog file."""
    return backlog_from_json(_read_bytes(path), origin=str(path))


def write_backlog(backlog: Backlog, path: Path) -> None:
    """Write a native backlog file atomically."""
    with atomic_output(path) as tmp, tmp.open("wb") as stream:
        for part in backlog_json_parts(backlog):
            stream.write(part)


def read_estate(path: Path) -> Estate:
    """Read a native estate file."""
    return estate_from_json(_read_bytes(path), origin=str(path))


def write_estate(
    estate: Estate,
    path: Path,
    *,
    dependencies_json: Callable[[], bytes] | None = None,
    server_records: Sequence[dict[str, Any]] | None = None,
) -> None:
    """Write a native estate file atomically (``dependencies_json`` and ``server_records``: as
    :func:`estate_json_parts`'; nothing is written where ``dependencies_json`` raises)."""
    parts = estate_json_parts(
        estate, dependencies_json=dependencies_json, server_records=server_records
    )
    with atomic_output(path) as tmp, tmp.open("wb") as stream:
        for part in parts:
            stream.write(part)


def server_records(servers: Iterable[Server]) -> list[dict[str, Any]]:
    """The JSON objects of ``servers`` as the estate file has them (for
    :func:`estate_json_parts`' ``server_records``)."""
    return servers_to_json(servers, _native_converter.unstructure)


# -- TOML --------------------------------------------------------------------------------------


def load_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file, raising :class:`InputError` with the parser's line and column."""
    try:
        with path.open("rb") as stream:
            return tomllib.load(stream)
    except FileNotFoundError:
        raise InputError("no such file", path=path) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", path=path) from None


def dump_toml(data: Mapping[str, Any], path: Path) -> None:
    """Write ``data`` as TOML atomically."""
    content = tomli_w.dumps(dict(data))
    with atomic_output(path) as tmp:
        tmp.write_text(content, encoding="utf-8")
