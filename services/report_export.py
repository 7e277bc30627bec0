"""The report as staff receive it: message texts, an XLSX workbook (openpyxl) and PNG charts
(matplotlib, Agg backend). Every function takes a ``gettext`` for the labels; none sends anything."""

from __future__ import annotations

import html
import io
from collections.abc import Callable
from datetime import datetime
from typing import Any

import matplotlib
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from services.report import GROUPS, Report, district_order
from services.report_sections import Key, Section

matplotlib.use("Agg")  # no display; imported with the module, so the first report does not pay for it
Gettext = Callable[[str], str]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SECTION_ICONS = {
    "coworking": "🏢",
    "consultations": "💬",
    "events": "📅",
    "ideas": "💡",
    "showcase": "🛍",
    "messaging": "📣",
}
DEFINITIONS = (
    "reached",
    "groups",
    "service_user",
    "partner",
    "erased",
    "coworking",
    "consultations",
    "events",
    "ideas",
    "showcase",
    "offline",
    "messaging",
    "percentiles",
)
MESSAGE_LIMIT = 3900


def shown(value: Any) -> str:
    """A figure as the message shows it: «—» for none, a decimal comma."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:g}".replace(".", ",")
    return str(value)


def label(gettext: Gettext, value: Any) -> Any:
    return gettext(value) if isinstance(value, Key) else value


def period_title(report: Report) -> str:
    return f"{report.period.first:%d.%m.%Y} – {report.period.last:%d.%m.%Y}"


def district_name(gettext: Gettext, code: str) -> str:
    return gettext("common.unknown_value") if code == "unknown" else gettext(f"district.{code}")


# --- message ------------------------------------------------------------------------------------


def summary_text(report: Report, gettext: Gettext) -> str:
    reach = report.reach
    lines = [
        gettext("report.summary_title").format(period=period_title(report)),
        gettext("report.people_total").format(count=reach.people),
        "",
    ]
    for row in reach.rows:
        line = gettext("report.reach_line").format(
            group=gettext(f"report.g_{row.group}"),
            reached=row.reached,
            target=row.target,
            pct=shown(row.percent),
        )
        if row.group == "service_user" and row.self_reported:
            line += gettext("report.reach_self").format(count=row.self_reported)
        lines.append(line)
    districts = district_order(reach.by_district)
    if districts:
        lines += ["", gettext("report.by_district")]
    for code in districts:
        parts = [
            f"{gettext(f'report.gs_{g}')} {reach.by_district[g][code]}"
            for g in GROUPS
            if reach.by_district.get(g, {}).get(code)
        ]
        lines.append(f"• {html.escape(district_name(gettext, code))}: {', '.join(parts)}")
    return "\n".join(lines)


def section_lines(section: Section, gettext: Gettext) -> list[str]:
    icon = SECTION_ICONS.get(section.code, "•")
    lines = [f"{icon} <b>{gettext(f'report.s_{section.code}')}</b>"]
    lines += [f"• {gettext(key)}: {shown(value)}" for key, value in section.figures]
    for table in section.tables:
        if not table.rows:
            continue
        lines.append(f"<i>{gettext(table.title)}</i>")
        heads = [gettext(h) for h in table.headers[1:]]
        for row in table.rows:
            name = html.escape(str(label(gettext, row[0])))
            if len(row) == 2:
                lines.append(f"  – {name}: {shown(row[1])}")
            else:
                cells = ", ".join(f"{h} {shown(v)}" for h, v in zip(heads, row[1:], strict=True))
                lines.append(f"  – {name}: {cells}")
    return lines


def section_texts(report: Report, gettext: Gettext) -> list[str]:
    """The sections, as few messages as fit Telegram's limit."""
    messages: list[str] = []
    current: list[str] = []
    for section in report.sections:
        block = section_lines(section, gettext)
        if current and len("\n".join([*current, "", *block])) > MESSAGE_LIMIT:
            messages.append("\n".join(current))
            current = []
        current += ([""] if current else []) + block
    if current:
        messages.append("\n".join(current))
    return messages


# --- workbook -----------------------------------------------------------------------------------
# Written in openpyxl's write-only mode (rows streamed, little memory); a row is a list of values, and
# ``cell`` turns a value that needs it (a header, text that looks like a formula) into a styled cell.

BOLD = Font(bold=True)


def cell(sheet: Any, value: Any, bold: bool = False) -> Any:
    """A value for a write-only row; text that would read as a formula is kept as text."""
    risky = isinstance(value, str) and value.startswith(FORMULA_STARTS)
    if not risky and not bold:
        return value
    out = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        out.data_type = "s"
        out.quotePrefix = risky
    if bold:
        out.font = BOLD
    return out


def _append(sheet: Any, values: list[Any], bold: bool = False) -> None:
    sheet.append([cell(sheet, v, bold) for v in values])


def _sheet(book: Workbook, title: str, widths: dict[str, float]) -> Any:
    for bad in "[]:*?/\\":
        title = title.replace(bad, " ")
    sheet = book.create_sheet(title[:31])
    for column, width in widths.items():
        sheet.column_dimensions[column].width = width
    return sheet


def _reach_sheet(book: Workbook, report: Report, gettext: Gettext) -> None:
    sheet = _sheet(book, gettext("report.x_reach"), {"A": 44, "B": 12, "C": 12, "D": 12})
    _append(sheet, [gettext("report.summary_title").format(period=period_title(report))], bold=True)
    _append(sheet, [gettext("report.x_people_total"), report.reach.people])
    _append(sheet, [])
    _append(
        sheet,
        [gettext(k) for k in ("report.h_group", "report.h_target", "report.h_reached", "report.h_pct")],
        True,
    )
    for row in report.reach.rows:
        _append(sheet, [gettext(f"report.g_{row.group}"), row.target, row.reached, row.percent])
    service = next(r for r in report.reach.rows if r.group == "service_user")
    _append(sheet, [gettext("report.x_self_reported"), service.self_reported])
    _append(sheet, [])
    _append(sheet, [gettext("report.by_district")], bold=True)
    groups = [g for g in GROUPS if g != "partner"]
    _append(sheet, [gettext("report.h_district")] + [gettext(f"report.g_{g}") for g in groups], bold=True)
    for code in district_order(report.reach.by_district):
        counts = [report.reach.by_district.get(g, {}).get(code, 0) for g in groups]
        _append(sheet, [district_name(gettext, code), *counts])


def _section_sheet(book: Workbook, section: Section, gettext: Gettext) -> None:
    sheet = _sheet(book, gettext(f"report.s_{section.code}"), {"A": 48, "B": 14})
    _append(sheet, [gettext("report.h_figure"), gettext("report.h_value")], bold=True)
    for key, value in section.figures:
        _append(sheet, [gettext(key), value])
    for table in section.tables:
        _append(sheet, [])
        _append(sheet, [gettext(table.title)], bold=True)
        _append(sheet, [gettext(h) for h in table.headers], bold=True)
        for values in table.rows:
            _append(sheet, [label(gettext, v) for v in values])


def _attendance_sheet(book: Workbook, report: Report, gettext: Gettext) -> None:
    """Evidence: who attended which event (checked in). Erased people are there, without a name."""
    sheet = _sheet(book, gettext("report.x_attendance"), {"A": 17, "B": 40, "C": 30, "D": 30, "E": 20})
    heads = ("date", "event", "name", "group", "district")
    _append(sheet, [gettext(f"report.a_{h}") for h in heads], bold=True)
    tz, erased = report.period.tz, gettext("report.erased_person")
    groups = {g: gettext(f"group.{g}") for g in GROUPS}
    districts: dict[str | None, str] = {None: ""}
    dates: dict[datetime, str] = {}
    for starts, title, name, group, district in report.attendance:
        if starts not in dates:
            dates[starts] = starts.astimezone(tz).strftime("%d.%m.%Y %H:%M")
        if district not in districts:
            districts[district] = district_name(gettext, district)
        who = name if name is not None else erased
        _append(sheet, [dates[starts], title, who, groups.get(group, group or ""), districts[district]])


def workbook(report: Report, gettext: Gettext) -> bytes:
    book = Workbook(write_only=True)
    _reach_sheet(book, report, gettext)
    for section in report.sections:
        _section_sheet(book, section, gettext)
    _attendance_sheet(book, report, gettext)
    definitions = _sheet(book, gettext("report.x_definitions"), {"A": 30, "B": 120})
    _append(definitions, [gettext("report.h_figure"), gettext("report.h_definition")], bold=True)
    for name in DEFINITIONS:
        _append(definitions, [gettext(f"report.d_{name}_t"), gettext(f"report.d_{name}")])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- charts -------------------------------------------------------------------------------------


def _png(figure: Any) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return buffer.getvalue()


def _reach_chart(report: Report, gettext: Gettext) -> bytes:
    """Per group, the share of the target reached (bars; the target is the 100% line), with the numbers."""
    rows = report.reach.rows
    figure = Figure(figsize=(9, 5))
    axes = figure.subplots()
    ys = list(range(len(rows)))
    shares = [min(r.percent, 150.0) for r in rows]
    axes.barh(ys, shares, 0.6, color=["#2e7d32" if r.percent >= 100 else "#1f77b4" for r in rows])
    axes.axvline(100, color="#c62828", linestyle="--", linewidth=1, label=gettext("report.h_target"))
    for y, row, share in zip(ys, rows, shares, strict=True):
        axes.text(
            share + 1, y, f"{row.reached} / {row.target} ({shown(row.percent)}%)", va="center", fontsize=8
        )
    axes.set_yticks(ys, [gettext(f"report.g_{r.group}") for r in rows], fontsize=8)
    axes.invert_yaxis()
    axes.set_xlim(0, max(125.0, max(shares, default=0) + 35))
    axes.set_xlabel(gettext("report.h_pct"))
    axes.set_title(gettext("report.c_reach").format(period=period_title(report)))
    axes.legend(loc="lower right", fontsize=8)
    return _png(figure)


def _activity_chart(report: Report, gettext: Gettext) -> bytes:
    figure = Figure(figsize=(9, 5))
    axes = figure.subplots()
    months = sorted({m for series in report.monthly.values() for m in series})
    for name, series in report.monthly.items():
        axes.plot(months, [series.get(m, 0) for m in months], marker="o", label=gettext(f"report.m_{name}"))
    axes.set_title(gettext("report.c_activity").format(period=period_title(report)))
    axes.tick_params(axis="x", labelrotation=45, labelsize=8)
    axes.set_ylim(bottom=0)
    locator = axes.yaxis.get_major_locator()
    if isinstance(locator, MaxNLocator):  # the default AutoLocator is one
        locator.set_params(integer=True)
    if months:
        axes.legend(fontsize=8)
    return _png(figure)


def charts(report: Report, gettext: Gettext) -> list[tuple[str, bytes]]:
    """Reach against the targets (bars) and activity by month (lines), as PNG files."""
    return [
        ("report-reach.png", _reach_chart(report, gettext)),
        ("report-activity.png", _activity_chart(report, gettext)),
    ]
