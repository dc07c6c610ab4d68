"""The Migration Execution Guide workbook (Azure/migration ``MEG v0.97 - Framework.xlsx``) as mbf
reads and writes it: sheet names, header rows, columns, and what the icon-set numbers mean.

In the real workbook every sheet is an Excel table whose header row sits below a title block
(row 16 on Digital Estate, row 15 on Wave and Risk Register, from column B); headers carry line
breaks (``"Data\\nCentre"``). mbf finds the header row by its column names and compares headers
with whitespace collapsed, so moved tables and re-wrapped headers still read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from mbf.domain import StateCategory

__all__ = [
    "DIGITAL_ESTATE_BANDS",
    "DIGITAL_ESTATE_COLUMNS",
    "DIGITAL_ESTATE_HEADER_ROW",
    "DIGITAL_ESTATE_SHEET",
    "HEADER_SEARCH_ROWS",
    "MEG_SHEETS",
    "PLACEHOLDER",
    "RISK_COLUMNS",
    "RISK_HEADER_ROW",
    "RISK_REGISTER_SHEET",
    "RISK_SEVERITY_PRIORITY",
    "RISK_STATUS",
    "WAVE_COLUMNS",
    "WAVE_HEADER_ROW",
    "WAVE_SHEET",
    "DigitalEstate",
    "Risk",
    "Wave",
    "normalise_header",
]

DIGITAL_ESTATE_SHEET = "8. Digital Estate"
WAVE_SHEET = "8. Wave"
RISK_REGISTER_SHEET = "8. Risk Register"
MEG_SHEETS = (DIGITAL_ESTATE_SHEET, WAVE_SHEET)
"""Sheets that mark a Migration Execution Guide workbook."""

HEADER_SEARCH_ROWS = 40
"""The header row is looked for in this many rows from the top of a sheet."""

PLACEHOLDER = "…"
"""The template's "to be filled in" mark (U+2026); read as an empty cell."""

_SPACES = re.compile(r"\s+")


def normalise_header(text: str) -> str:
    """A header with line breaks and runs of spaces made single spaces: ``"Data\\nCentre"`` -> ``"Data Centre"``."""
    return _SPACES.sub(" ", text).strip()


class DigitalEstate:
    """Columns of ``8. Digital Estate``: one row per workload in a data centre."""

    DATA_CENTRE = "Data Centre"
    WORKLOAD = "Workload"
    DESCRIPTION = "Description"
    ENVIRONMENT = "Environment"
    TECHNICAL_OWNER = "Technical Owner"
    PRIORITY = "Priority"
    RATIONALIZATION = "Rationalization"
    MILESTONE_DATE = "Milestone Date"
    SCHEDULED_START = "Scheduled Start Migration Date"
    APPROVALS_BAND = "Approvals"
    """Band over the second Business Owner / Technical Owner pair; those read as ``Approvals: ...``."""


class Wave:
    """Columns of ``8. Wave``: one row per machine, with its wave number."""

    DEFINITION_DATE = "Definition Date"
    MIGRATION_START = "Migration Start Date"
    WAVE_NUMBER = "Wave Number"
    WORKLOAD = "Workload"
    MACHINE = "Machine"
    ENGINEER = "Migration Engineer"
    ENVIRONMENT = "Environment"
    INITIAL_REPLICATION_STATUS = "Initial Replication Status"
    TEST_UAT_STATUS = "Test Migration UAT Status"
    FINAL_MIGRATION_START = "Final Migration Start Date"
    FINAL_UAT_STATUS = "Final Migration UAT Status"
    NAVIGATION = ("Digital Estate Planning", "Workload Details", "Migration Day Runbook")
    """Hyperlink columns to other sheets: not data."""


WAVE_COLUMNS: tuple[str, ...] = (
    "Definition\nDate", "Migration\nStart Date", "Wave Number", "Workload", "Machine",
    "Operating System", "Migration Engineer", "Environment", "Source\nEnvironment",
    "Migration Methodology", "Migration\nGroup", "Target\nSubscription", "Target\nRegion",
    "Target\nFinal VNET", "Target\nFinal Subnet", "Target\nFinal Resource\nGroup",
    "Availability\nOption", "Disk Encryption", "Disk\nType", "Initial Replication\nStart Date",
    "Initial Replication\nStatus", "Delta Replication\nStart Date", "Test\nVNET", "Test Subnet",
    "Test Resource\nGroup", "Test Migration\nStart Date", "Test Migration\nUAT Status",
    "Test Migration\nUAT Owner", "Final Migration\nStart Date", "Final Migration\nUAT Status",
    "Final Migration\nUAT Owner", "Replication Completed", "Digital Estate\nPlanning",
    "Workload Details", "Migration Day\nRunbook",
)  # fmt: skip
"""The Wave sheet's header row exactly as the MEG v0.97 template spells it (columns B to AJ)."""

DIGITAL_ESTATE_COLUMNS: tuple[str, ...] = (
    "Discovery\nDate", "Data\nCentre", "Workload", "SLA", "Description", "Redundancy",
    "Compliance", "Revenue Impacting", "Users", "Business Unit", "Business Owner",
    "Technical Owner", "Environment", "Servers", "App Type", "Business Criticality", "Lifecycle",
    "End-of-life\nDate", "Business Drivers", "Milestone\nDate", "Priority", "Rationalization",
    "Tooling", "Promotion", "On-premises Cost", "Cloud\nCost ", "Migration Cost",
    "Business\nOwner", "Technical\nOwner", "Migration Architect", "Approval\nDate",
    "Scheduled Start Migration Date",
)  # fmt: skip
"""The Digital Estate header row as the template spells it (columns B to AG, header in row 16)."""

DIGITAL_ESTATE_BANDS: tuple[tuple[int, str], ...] = (
    (20, "Migration Decisions"), (24, "Financial"), (27, "Approvals"),
)  # fmt: skip
"""Header bands in the row above (0-based offset into :data:`DIGITAL_ESTATE_COLUMNS`, text)."""

DIGITAL_ESTATE_HEADER_ROW = 15
"""0-based row of the Digital Estate header in the template (Excel row 16)."""

RISK_COLUMNS: tuple[str, ...] = (
    "Id", "Workload", "Risk", "Status", "Date Identified", "Category", "Date Resolved", "Severity",
    "Business Owner", "Technical Owner", "Support", "Business Criticality", "Mitigation",
    "Action Plan", "Approver", "Date\nApproved", "More information",
)  # fmt: skip
"""The Risk Register header row as the template spells it (columns B to R, header in row 15)."""

RISK_HEADER_ROW = 14
"""0-based row of the Risk Register header in the template (Excel row 15)."""

WAVE_HEADER_ROW = 14
"""0-based row of the Wave header in the template (Excel row 15); the table starts in column B."""


class Risk:
    """Columns of ``8. Risk Register``: one row per risk, naming its workload (or ``All``)."""

    ID = "Id"
    WORKLOAD = "Workload"
    RISK = "Risk"
    STATUS = "Status"
    DATE_IDENTIFIED = "Date Identified"
    CATEGORY = "Category"
    DATE_RESOLVED = "Date Resolved"
    SEVERITY = "Severity"
    TECHNICAL_OWNER = "Technical Owner"
    MITIGATION = "Mitigation"
    ACTION_PLAN = "Action Plan"
    ALL_WORKLOADS = "All"


RISK_STATUS: Mapping[int, tuple[str, StateCategory]] = {
    0: ("Open", StateCategory.TODO),
    1: ("In Progress", StateCategory.IN_PROGRESS),
    2: ("Resolved", StateCategory.DONE),
}
"""Status is a number shown as a "3 Symbols" icon: 0 red cross, 1 amber mark, 2 green tick."""

RISK_SEVERITY_PRIORITY: Mapping[int, int] = {2: 1, 1: 2, 0: 3}
"""Severity is a number shown as a reversed "3 Flags" icon (2 red = high, 0 green = low); the
item's priority is 1 for high, 2 medium, 3 low."""
