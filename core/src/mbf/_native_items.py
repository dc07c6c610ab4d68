"""The work items of native backlog files, read and written without cattrs' generic machinery.

A native backlog is mostly work items (359,163 of them at 50,000 servers), and cattrs' generated
(un)structure functions for them were the largest part of reading and writing the file. These
two functions give the same results for the common case, about twice as fast:

- :func:`work_items_from_json` takes an item only when every key is a field and every value has
  exactly the JSON type mbf itself writes; it returns ``None`` for anything else (an unknown key,
  a number where text belongs, an unknown kind, a malformed date), and the caller then
  structures the whole document with cattrs, whose results and error messages are the reference.
- :func:`work_item_to_json` leaves out the fields at their default exactly as the native
  converter (``omit_if_default``) does, and sorts mapping keys like it.

``tests/serialization/test_native_items.py`` checks both against cattrs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from mbf.domain import (
    DependencyType,
    Link,
    LinkKind,
    StateCategory,
    TrackerRef,
    WorkItem,
    WorkItemKind,
)

__all__ = ["work_item_to_json", "work_items_from_json"]

_NONE = type(None)
_TEXT = (str,)
_OPTIONAL_TEXT = (str, _NONE)
_FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "id": _TEXT,
    "kind": _TEXT,
    "title": _TEXT,
    "description": _TEXT,
    "parent_id": _OPTIONAL_TEXT,
    "state": _TEXT,
    "state_category": _TEXT,
    "assignee": _TEXT,
    "priority": (int, _NONE),
    "tags": (list,),
    "iteration_id": _OPTIONAL_TEXT,
    "release_id": _OPTIONAL_TEXT,
    "estimate": (float, int, _NONE),
    "start": _OPTIONAL_TEXT,
    "finish": _OPTIONAL_TEXT,
    "links": (list,),
    "source": (list,),
    "refs": (dict,),
    "extra": (dict,),
}
"""JSON types mbf writes for each work item field; ``type(value) in ...`` so ``bool`` is no int."""

_LINK_TYPES: dict[str, tuple[type, ...]] = {
    "target_id": _TEXT,
    "kind": _TEXT,
    "type": _TEXT,
    "lag_hours": (float, int),
}
_REF_KEYS = frozenset({"key", "url", "version"})

_KINDS = {member.value: member for member in WorkItemKind}
_STATE_CATEGORIES = {member.value: member for member in StateCategory}
_LINK_KINDS = {member.value: member for member in LinkKind}
_DEPENDENCY_TYPES = {member.value: member for member in DependencyType}


class _Irregular(Exception):
    """An item the fast path leaves to cattrs."""


def work_items_from_json(raw_items: list[Any]) -> list[WorkItem] | None:
    """The items of a native file's ``items`` list, or ``None`` when one needs cattrs."""
    try:
        return [_work_item(raw) for raw in raw_items]
    except (_Irregular, KeyError, ValueError, TypeError):
        return None


def _work_item(raw: Any) -> WorkItem:
    if type(raw) is not dict:
        raise _Irregular
    for key, value in raw.items():
        allowed = _FIELD_TYPES.get(key)
        if allowed is None or type(value) not in allowed:
            raise _Irregular
    fields = dict(raw)
    fields["kind"] = _KINDS[fields["kind"]]
    if "state_category" in fields:
        fields["state_category"] = _STATE_CATEGORIES[fields["state_category"]]
    for name in ("tags", "source"):
        if name in fields and not all(type(text) is str for text in fields[name]):
            raise _Irregular
    for name in ("start", "finish"):
        if fields.get(name) is not None:
            fields[name] = dt.date.fromisoformat(fields[name])
    if "links" in fields:
        fields["links"] = [_link(link) for link in fields["links"]]
    if "refs" in fields:
        fields["refs"] = {service: _ref(ref) for service, ref in fields["refs"].items()}
    return WorkItem(**fields)  # a missing required field raises TypeError: cattrs words it


def _link(raw: Any) -> Link:
    if type(raw) is not dict:
        raise _Irregular
    for key, value in raw.items():
        allowed = _LINK_TYPES.get(key)
        if allowed is None or type(value) not in allowed:
            raise _Irregular
    return Link(
        target_id=raw["target_id"],
        kind=_LINK_KINDS[raw.get("kind", "depends-on")],
        type=_DEPENDENCY_TYPES[raw.get("type", "FS")],
        lag_hours=raw.get("lag_hours", 0.0),
    )


def _ref(raw: Any) -> TrackerRef:
    if type(raw) is not dict or not raw.keys() <= _REF_KEYS:
        raise _Irregular
    if not all(type(value) is str for value in raw.values()):
        raise _Irregular
    return TrackerRef(**raw)


def work_item_to_json(item: WorkItem, unstructure: Callable[[Any], Any]) -> dict[str, Any]:
    """``item`` as the native converter unstructures it; ``unstructure`` handles ``extra`` values
    that are not plain JSON scalars (dates, tuples, nested attrs objects)."""
    out: dict[str, Any] = {"id": item.id, "kind": item.kind, "title": item.title}
    if item.description != "":
        out["description"] = item.description
    if item.parent_id is not None:
        out["parent_id"] = item.parent_id
    if item.state != "New":
        out["state"] = item.state
    if item.state_category != StateCategory.TODO:
        out["state_category"] = item.state_category
    if item.assignee != "":
        out["assignee"] = item.assignee
    if item.priority is not None:
        out["priority"] = item.priority
    if item.tags:
        out["tags"] = list(item.tags)
    if item.iteration_id is not None:
        out["iteration_id"] = item.iteration_id
    if item.release_id is not None:
        out["release_id"] = item.release_id
    if item.estimate is not None:
        out["estimate"] = item.estimate
    if item.start is not None:
        out["start"] = item.start.isoformat()
    if item.finish is not None:
        out["finish"] = item.finish.isoformat()
    if item.links:
        out["links"] = [_link_to_json(link) for link in item.links]
    if item.source:
        out["source"] = list(item.source)
    if item.refs:
        out["refs"] = {service: _ref_to_json(item.refs[service]) for service in sorted(item.refs)}
    if item.extra:
        out["extra"] = _mapping_to_json(item.extra, unstructure)
    return out


def _link_to_json(link: Link) -> dict[str, Any]:
    out: dict[str, Any] = {"target_id": link.target_id}
    if link.kind != LinkKind.DEPENDS_ON:
        out["kind"] = link.kind
    if link.type != DependencyType.FS:
        out["type"] = link.type
    if link.lag_hours != 0.0:
        out["lag_hours"] = link.lag_hours
    return out


def _ref_to_json(ref: TrackerRef) -> dict[str, Any]:
    out = {"key": ref.key}
    if ref.url != "":
        out["url"] = ref.url
    if ref.version != "":
        out["version"] = ref.version
    return out


_SCALARS = (str, int, float, bool, _NONE)


def _mapping_to_json(mapping: Mapping[str, Any], unstructure: Callable[[Any], Any]) -> Any:
    return {
        key: value if type(value) in _SCALARS else unstructure(value)
        for key, value in sorted(mapping.items())
    }
