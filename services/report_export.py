"""The report as staff receive it: message texts, an XLSX workbook (openpyxl) and PNG charts
(matplotlib, Agg backend). Every function takes a ``gettext`` for the labels; none sends anything."""

from __future__ import annotations

import html
import io
from collections.abc import Callable
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from services.report import GROUPS, Report, district_order
from services.report_sections import Key, Section

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


def put(cell: Cell, value: Any) -> Cell:
    """Write a value; text (above all, text that came from people) never becomes a formula."""
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
        if value.startswith(FORMULA_STARTS):
            cell.quotePrefix = True
    return cell


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


def _sheet_name(text: str) -> str:
    for bad in "[]:*?/\\":
        text = text.replace(bad, " ")
    return text[:31]


def _header(sheet: Worksheet, row: int, values: list[str]) -> None:
    for col, value in enumerate(values, 1):
        put(sheet.cell(row, col), value).font = Font(bold=True)


def _reach_sheet(sheet: Worksheet, report: Report, gettext: Gettext) -> None:
    put(sheet.cell(1, 1), gettext("report.summary_title").format(period=period_title(report))).font = Font(
        bold=True
    )
    put(sheet.cell(2, 1), gettext("report.x_people_total"))
    put(sheet.cell(2, 2), report.reach.people)
    _header(
        sheet,
        4,
        [gettext(k) for k in ("report.h_group", "report.h_target", "report.h_reached", "report.h_pct")],
    )
    for i, row in enumerate(report.reach.rows, 5):
        for col, value in enumerate(
            [gettext(f"report.g_{row.group}"), row.target, row.reached, row.percent], 1
        ):
            put(sheet.cell(i, col), value)
    at = 5 + len(report.reach.rows)
    put(sheet.cell(at, 1), gettext("report.x_self_reported"))
    put(sheet.cell(at, 2), next(r.self_reported for r in report.reach.rows if r.group == "service_user"))
    at += 2
    put(sheet.cell(at, 1), gettext("report.by_district")).font = Font(bold=True)
    person_groups = [g for g in GROUPS if g != "partner"]
    _header(sheet, at + 1, [gettext("report.h_district")] + [gettext(f"report.g_{g}") for g in person_groups])
    for i, code in enumerate(district_order(report.reach.by_district), at + 2):
        put(sheet.cell(i, 1), district_name(gettext, code))
        for col, group in enumerate(person_groups, 2):
            put(sheet.cell(i, col), report.reach.by_district.get(group, {}).get(code, 0))
    sheet.column_dimensions["A"].width = 44


def _section_sheet(sheet: Worksheet, section: Section, gettext: Gettext) -> None:
    _header(sheet, 1, [gettext("report.h_figure"), gettext("report.h_value")])
    row = 2
    for key, value in section.figures:
        put(sheet.cell(row, 1), gettext(key))
        put(sheet.cell(row, 2), value)
        row += 1
    for table in section.tables:
        row += 1
        put(sheet.cell(row, 1), gettext(table.title)).font = Font(bold=True)
        _header(sheet, row + 1, [gettext(h) for h in table.headers])
        row += 2
        for values in table.rows:
            for col, value in enumerate(values, 1):
                put(sheet.cell(row, col), label(gettext, value))
            row += 1
    sheet.column_dimensions["A"].width = 48


def _attendance_sheet(sheet: Worksheet, report: Report, gettext: Gettext, tz: Any) -> None:
    heads = ("date", "event", "name", "group", "district", "organisation", "checked_in")
    _header(sheet, 1, [gettext(f"report.a_{h}") for h in heads])
    for i, (starts, title, name, group, district, org, checked) in enumerate(report.attendance, 2):
        values = [
            _local(starts, tz),
            title,
            name if name is not None else gettext("report.erased_person"),
            gettext(f"group.{group}") if group else "",
            district_name(gettext, district) if district else "",
            org or "",
            _local(checked, tz),
        ]
        for col, value in enumerate(values, 1):
            put(sheet.cell(i, col), value)


def _local(moment: datetime | None, tz: Any) -> str:
    return "" if moment is None else moment.astimezone(tz).strftime("%d.%m.%Y %H:%M")


def workbook(report: Report, gettext: Gettext) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _sheet_name(gettext("report.x_reach"))
    _reach_sheet(sheet, report, gettext)
    for section in report.sections:
        _section_sheet(book.create_sheet(_sheet_name(gettext(f"report.s_{section.code}"))), section, gettext)
    _attendance_sheet(
        book.create_sheet(_sheet_name(gettext("report.x_attendance"))), report, gettext, report.period.tz
    )
    definitions = book.create_sheet(_sheet_name(gettext("report.x_definitions")))
    _header(definitions, 1, [gettext("report.h_figure"), gettext("report.h_definition")])
    for i, name in enumerate(DEFINITIONS, 2):
        put(definitions.cell(i, 1), gettext(f"report.d_{name}_t"))
        put(definitions.cell(i, 2), gettext(f"report.d_{name}"))
    definitions.column_dimensions["A"].width = 30
    definitions.column_dimensions["B"].width = 120
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- charts -------------------------------------------------------------------------------------


def _png(figure: Any) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return buffer.getvalue()


def charts(report: Report, gettext: Gettext) -> list[tuple[str, bytes]]:
    """Reach against the targets (bars) and activity by month (lines), as PNG files."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    names = [gettext(f"report.g_{r.group}") for r in report.reach.rows]
    figure = Figure(figsize=(9, 5))
    axes = figure.subplots()
    ys = range(len(names))
    axes.barh(
        [y + 0.2 for y in ys], [r.target for r in report.reach.rows], 0.4, label=gettext("report.h_target")
    )
    axes.barh(
        [y - 0.2 for y in ys], [r.reached for r in report.reach.rows], 0.4, label=gettext("report.h_reached")
    )
    for y, row in zip(ys, report.reach.rows, strict=True):
        axes.text(max(row.reached, row.target), y, f" {shown(row.percent)}%", va="center", fontsize=8)
    axes.set_yticks(list(ys), names, fontsize=8)
    axes.invert_yaxis()
    axes.set_title(gettext("report.c_reach").format(period=period_title(report)))
    axes.legend(loc="lower right")
    reach_png = _png(figure)

    figure = Figure(figsize=(9, 5))
    axes = figure.subplots()
    months = sorted({m for series in report.monthly.values() for m in series})
    for name, series in report.monthly.items():
        axes.plot(months, [series.get(m, 0) for m in months], marker="o", label=gettext(f"report.m_{name}"))
    axes.set_title(gettext("report.c_activity").format(period=period_title(report)))
    axes.tick_params(axis="x", labelrotation=45, labelsize=8)
    if months:
        axes.legend(fontsize=8)
    activity_png = _png(figure)
    return [("report-reach.png", reach_png), ("report-activity.png", activity_png)]
