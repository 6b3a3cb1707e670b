"""CSV export of any report: a header row, one row per table row, then the totals row.

Plain RFC 4180 CSV from the csv module (comma separated, quoted when needed). Dates and
hours are already local labels in the rows. Durations are whole numbers of seconds (a
spreadsheet can sum them) and percentages numbers from 0 to 100 with one decimal; the header
says which (" (s)", " (%)"). "n/a" cells are empty.

Text typed by users (agent, group and pause-reason names) that a spreadsheet would run as a
formula (``=HYPERLINK(...)``, ``+…``, ``-…``, ``@…``) is written with a leading ``'``, the
same guard as the client export (OWASP's advice for CSV injection); numbers are untouched.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

from crm.client_import import FORMULA_START
from crm.stats.types import PERCENT, SECONDS, Report


def report_to_csv(
    report: Report,
    translate: Callable[[str], str] = lambda text: text,
    *,
    with_totals: bool = True,
) -> str:
    """The report as CSV text; ``translate`` turns the English column labels into the
    user's language."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([translate(c.label) + UNITS.get(c.kind, "") for c in report.columns])
    rows = list(report.rows)
    if with_totals and report.totals:
        rows.append(report.totals)
    for row in rows:
        writer.writerow([_cell(row.get(c.key), c.kind, translate) for c in report.columns])
    return buffer.getvalue()


UNITS = {SECONDS: " (s)", PERCENT: " (%)"}


def _cell(value: Any, kind: str, translate: Callable[[str], str]) -> str:
    if value is None:
        return ""
    if kind == SECONDS and isinstance(value, int | float):
        return str(round(value))
    if kind == PERCENT and isinstance(value, int | float):
        return f"{value:.1f}"
    if isinstance(value, str):
        # the totals label is a msgid; other text cells (names) are only guarded
        return translate(value) if value == "Total" else _guard(value)
    return str(value)


def _guard(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_filename(report: Report) -> str:
    iv = report.interval
    return f"{report.name}_{iv.start.isoformat()}_{iv.end.isoformat()}.csv"
