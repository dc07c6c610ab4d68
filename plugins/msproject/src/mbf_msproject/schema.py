"""What MSPDI fixes: namespace, codes, custom-field ids, and the custom fields mbf keeps its data in.

Field ids, GUIDs and secondary PIDs are the ones Microsoft Project itself writes (checked against
files saved by Project 2003-2019); nothing here depends on lxml, so the plugin loads fast.
"""

from __future__ import annotations

from typing import Final

import attrs

from mbf.domain import DependencyType

NAMESPACE: Final = "http://schemas.microsoft.com/project"
"""The one namespace of every MSPDI element."""

MINUTES_PER_DAY: Final = 480
"""Working minutes in a day of the standard calendar mbf writes (08:00-12:00, 13:00-17:00)."""

HOURS_PER_DAY: Final = MINUTES_PER_DAY // 60

LAG_UNITS_PER_HOUR: Final = 600
"""``LinkLag`` counts tenths of a minute."""

DAY_START: Final = "08:00:00"
DAY_FINISH: Final = "17:00:00"

LINK_TYPE_CODES: Final[dict[DependencyType, str]] = {
    DependencyType.FF: "0",
    DependencyType.FS: "1",
    DependencyType.SF: "2",
    DependencyType.SS: "3",
}
"""``PredecessorLink/Type``: 0 FF, 1 FS, 2 SF, 3 SS."""

LINK_TYPES_BY_CODE: Final[dict[str, DependencyType]] = {v: k for k, v in LINK_TYPE_CODES.items()}

DURATION_FORMAT_MINUTES: Final = "3"
DURATION_FORMAT_HOURS: Final = "5"
DURATION_FORMAT_DAYS: Final = "7"
PERCENT_LAG_FORMATS: Final = frozenset({"19", "20", "51", "52"})
"""Lag formats that express the lag as a percentage of the predecessor's duration."""

CONSTRAINT_START_NO_EARLIER_THAN: Final = "4"
"""Keeps a planned start when Project reschedules an auto-scheduled task."""

PROJECT_CALENDAR_UID: Final = "1"

_GUID_PREFIX = "000039B7-8BBE-4CEB-82C4-FA8C"


@attrs.frozen(kw_only=True)
class CustomField:
    """One task custom field (``Text1`` ...) as Project defines it, with the alias mbf gives it."""

    field_name: str
    """Project's own name, e.g. ``Text1``."""
    field_id: str
    """``FieldID``: Project's PID of the field."""
    secondary_pid: str
    """``SecondaryPID`` Project writes beside it."""
    alias: str
    """What the column is called in Project; mbf recognises its fields by this alias."""
    cf_type: str = "7"
    """``CFType``: 7 text, 5 number."""

    @property
    def guid(self) -> str:
        """The field's GUID as Project writes it (a fixed prefix and the hex field id)."""
        return f"{_GUID_PREFIX}{int(self.field_id):08X}"

    @property
    def secondary_guid(self) -> str:
        """The secondary GUID (a fixed prefix and the hex secondary PID)."""
        return f"{_GUID_PREFIX}{int(self.secondary_pid):08X}"


def _text_field_id(number: int) -> str:
    # Text1-5 step by 3, Text6-10 by 1, Text11-30 sit in a later block (as Project writes them).
    if number <= 5:
        return str(188743731 + 3 * (number - 1))
    if number <= 10:
        return str(188743746 + (number - 6))
    return str(188743997 + (number - 11))


def _text_field(number: int, alias: str) -> CustomField:
    return CustomField(
        field_name=f"Text{number}",
        field_id=_text_field_id(number),
        secondary_pid=str(255869028 + number - 1),
        alias=alias,
    )


MBF_ID = _text_field(1, "mbf id")
MBF_KIND = _text_field(2, "mbf kind")
MBF_STATE = _text_field(3, "mbf state")
MBF_TAGS = _text_field(4, "mbf tags")
MBF_ASSIGNEE = _text_field(5, "mbf assignee")
MBF_ITERATION = _text_field(6, "mbf iteration")
MBF_RELEASE = _text_field(7, "mbf release")
MBF_SOURCE = _text_field(8, "mbf source")
MBF_REFS = _text_field(9, "mbf refs")
MBF_EXTRA = _text_field(10, "mbf extra")
MBF_PRIORITY = _text_field(11, "mbf priority")
MBF_LINKS = _text_field(12, "mbf links")
MBF_ITERATION_PATH = _text_field(13, "mbf iteration path")
MBF_CAPACITY = CustomField(
    field_name="Number1",
    field_id="188743767",
    secondary_pid="255868988",
    alias="mbf capacity",
    cf_type="5",
)

MBF_FIELDS: Final[tuple[CustomField, ...]] = (
    MBF_ID,
    MBF_KIND,
    MBF_STATE,
    MBF_TAGS,
    MBF_ASSIGNEE,
    MBF_ITERATION,
    MBF_RELEASE,
    MBF_SOURCE,
    MBF_REFS,
    MBF_EXTRA,
    MBF_PRIORITY,
    MBF_LINKS,
    MBF_ITERATION_PATH,
    MBF_CAPACITY,
)
"""Every custom field mbf defines, in ``ExtendedAttributes`` order."""

MBF_ALIASES: Final = frozenset(f.alias for f in MBF_FIELDS)

ITERATION_LIST = "iteration-list"
ITERATION = "iteration"
RELEASE_LIST = "release-list"
RELEASE = "release"
PLANNING_KINDS: Final = frozenset({ITERATION_LIST, ITERATION, RELEASE_LIST, RELEASE})
"""``mbf kind`` values of the rows that carry the backlog's iterations and releases."""

DURATION_KEY: Final = "mspdi:duration_hours"
"""``extra`` key of a task's Project duration (hours) when the file was not written by mbf."""
