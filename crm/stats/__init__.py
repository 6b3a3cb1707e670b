"""Statistics (S4, S5 actions, B1 KPIs): periods, KPI formulas, rollups, reports, CSV.

The web layer calls :func:`crm.stats.reports.run_report` (or one report function),
:func:`crm.stats.agent_activity.agent_call_stats` / ``agent_action_history``,
:func:`crm.stats.board.day_board` (the wallboard's figures of the day) and
:func:`crm.stats.csv.report_to_csv`. The call journal feeds :mod:`crm.stats.rollups`.
"""
