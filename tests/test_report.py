"""The reach report: every figure against a hand count (tests/report_data.py), the workbook against the
message, and staff pulling it through the dispatcher."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.i18n import load_locales
from db.base import utcnow
from db.models import AuditLog
from services import report as rep
from services import report_export as export
from services.report_sections import Key
from tests import report_data as data
from tests.client import TgClient
from tests.conftest import ADMIN_CHAT_ID, STAFF_ID, TZ

RU = load_locales()["ru"]


def ru(key: str) -> str:
    return RU.gettext(key)


NOVEMBER = rep.make_period(date(2026, 11, 1), date(2026, 11, 30), TZ, "last_month")


async def build(db: Any, period: rep.Period = NOVEMBER) -> rep.Report:
    async with db.session() as s:
        return await rep.build(s, period, utcnow())


def test_periods_in_local_time() -> None:
    now = data.local(2026, 12, 9, 11)
    assert rep.period_for("last_month", now, TZ) == NOVEMBER
    this_month = rep.period_for("this_month", now, TZ)
    assert (this_month.first, this_month.last) == (date(2026, 12, 1), date(2026, 12, 31))
    quarter = rep.period_for("this_quarter", now, TZ)
    assert (quarter.first, quarter.last) == (date(2026, 10, 1), date(2026, 12, 31))
    year = rep.period_for("this_year", data.local(2026, 1, 1, 0, 30), TZ)
    assert (year.first, year.last) == (date(2026, 1, 1), date(2026, 12, 31))
    january = rep.period_for("last_month", data.local(2027, 1, 1, 0, 5), TZ)
    assert (january.first, january.last) == (date(2026, 12, 1), date(2026, 12, 31))
    assert NOVEMBER.start == data.local(2026, 11, 1, 0, 0) and NOVEMBER.end == data.local(2026, 12, 1, 0, 0)
    since = rep.period_for("all", now, TZ, date(2026, 9, 1))
    assert (since.first, since.last) == (date(2026, 9, 1), date(2026, 12, 9))


async def test_reach_matches_the_hand_count(db: Any) -> None:
    await data.fill(db)
    report = await build(db)
    reach = {row.group: row.reached for row in report.reach.rows}
    assert reach == data.REACH
    assert report.reach.people == data.PEOPLE
    assert {g: d for g, d in report.reach.by_district.items()} == data.BY_DISTRICT
    service = next(r for r in report.reach.rows if r.group == "service_user")
    assert service.self_reported == 47 and service.target == 4500 and service.percent == 1.1
    assert {r.group: r.target for r in report.reach.rows} == rep.DEFAULT_TARGETS


async def test_every_section_matches_the_hand_count(db: Any) -> None:
    await data.fill(db)
    report = await build(db)
    sections = {s.code: s for s in report.sections}
    assert list(sections) == list(data.FIGURES)
    for code, expected in data.FIGURES.items():
        assert dict(sections[code].figures) == expected, code
    for (code, title), rows in data.TABLES.items():
        table = next(t for t in sections[code].tables if t.title == title)
        assert [[str(c) if isinstance(c, Key) else c for c in row] for row in table.rows] == rows, title
    assert {name: series.get("2026-11", 0) for name, series in report.monthly.items()} == data.MONTHLY_NOV
    assert all(set(series) == {"2026-11"} for series in report.monthly.values())


async def test_erased_people_count_but_are_never_named(db: Any) -> None:
    await data.fill(db)
    report = await build(db)
    assert len(report.attendance) == 5
    names = [row[2] for row in report.attendance]
    assert names.count(None) == 1  # u9
    book = load_workbook(io.BytesIO(export.workbook(report, ru)))
    attendance = book[ru("report.x_attendance")]
    cells = [c.value for row in attendance.iter_rows() for c in row]
    assert ru("report.erased_person") in cells


async def test_targets_from_settings_and_an_empty_database(db: Any) -> None:
    async with db.session() as s:
        report = await rep.build(s, NOVEMBER, utcnow(), {"citizen": 10, "bogus": 5})
    assert {r.group: r.target for r in report.reach.rows}["citizen"] == 10
    assert all(r.reached == 0 for r in report.reach.rows)
    assert export.workbook(report, ru)[:2] == b"PK"
    assert all(png[:8] == b"\x89PNG\r\n\x1a\n" for _name, png in export.charts(report, ru))


def sheet_figures(book: Any, title: str) -> dict[str, Any]:
    sheet = book[title]
    figures = {}
    for row in sheet.iter_rows(min_row=2, values_only=True):
        if row[0] is None:
            break
        figures[row[0]] = row[1]
    return figures


async def test_workbook_carries_the_message_figures_and_no_formulas(db: Any) -> None:
    await data.fill(db)
    report = await build(db)
    book = load_workbook(io.BytesIO(export.workbook(report, ru)))
    text = "\n".join(export.section_texts(report, ru))
    for section in report.sections:
        figures = sheet_figures(book, ru(f"report.s_{section.code}"))
        for key, value in section.figures:
            assert figures[ru(key)] == value
            assert f"• {ru(key)}: {export.shown(value)}" in text
    reach = book[ru("report.x_reach")]
    rows = {r[0]: r[1:4] for r in reach.iter_rows(min_row=5, max_row=11, values_only=True)}
    summary = export.summary_text(report, ru)
    for row in report.reach.rows:
        assert rows[ru(f"report.g_{row.group}")] == (row.target, row.reached, row.percent)
        assert f"{ru(f'report.g_{row.group}')}: {row.reached} из {row.target}" in summary
    # Text from people stays text: «=Иванов», «+Событие 1» are not formulas.
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
    attendance = [c.value for row in book[ru("report.x_attendance")].iter_rows() for c in row]
    assert "=Иванов" in attendance and "+Событие 1" in attendance
    definitions = book[ru("report.x_definitions")]
    assert definitions.max_row == len(export.DEFINITIONS) + 1


def test_text_never_becomes_a_formula() -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("x")
    values = ("=1+2", "+7", "-3", "@x", "\tx", "\rx", "plain", 5)
    sheet.append([export.cell(sheet, v) for v in values])
    buffer = io.BytesIO()
    book.save(buffer)
    row = next(load_workbook(io.BytesIO(buffer.getvalue()))["x"].iter_rows())
    read = [c.value for c in row]
    assert read[:5] + read[6:] == [*values[:5], *values[6:]] and read[5] in (
        "\rx",
        "\nx",
    )  # a CR may be normalised
    assert [c.data_type for c in row] == ["s"] * 7 + ["n"]
    assert [c.quotePrefix for c in row[:6]] == [True] * 6


def test_dates_typed_by_staff() -> None:
    from handlers.report.views import parse_dates

    assert parse_dates("01.09.2026 30.11.2026") == (date(2026, 9, 1), date(2026, 11, 30))
    assert parse_dates("30.11.2026 - 1.9.2026") == (date(2026, 9, 1), date(2026, 11, 30))
    for bad in (
        "",
        "01.09.2026",
        "31.02.2026 01.03.2026",
        "01.09.2026 02.09.2026 03.09.2026",
        "01.09.1900 01.01.2026",
    ):
        assert parse_dates(bad) is None


# --- through the dispatcher ---------------------------------------------------------------------


def recorded(staff: TgClient, name: str) -> list[Any]:
    return [c for c in staff.sent(name) if c.method.chat_id == ADMIN_CHAT_ID]


async def test_staff_pull_the_report_through_the_bot(staff: TgClient, db: Any, fake_session: Any) -> None:
    await data.fill(db)
    await staff.send("/report")
    assert "период" in staff.last_text
    fake_session.clear()
    await staff.press("Прошлый месяц")
    texts = staff.texts()
    summary = next(t for t in texts if "Охват за 01.11.2026 – 30.11.2026" in t)
    assert "Активные граждане: 3 из 780" in summary
    assert (
        "Получатели услуг: 50 из 4500 (1,1%), из них получатели вне бота по данным исполнителей: 47"
        in summary
    )
    assert "Партнёры: 5 из 170" in summary
    assert "Всего охвачено, человек: 11" in summary
    joined = "\n".join(texts)
    assert "• Пришли: 5" in joined and "• Доля неявок (%): 16,7" in joined
    documents = recorded(staff, "SendDocument")
    assert len(documents) == 1
    upload = documents[0].method.document
    book = load_workbook(io.BytesIO(upload.data))
    figures = sheet_figures(book, "Мероприятия")
    assert figures["Пришли"] == 5 and figures["Доля неявок (%)"] == 16.7
    assert sheet_figures(book, "Каталог услуг")["Дней пробного офиса"] == 9
    photos = recorded(staff, "SendPhoto")
    assert len(photos) == 2
    assert all(p.method.photo.data[:8] == b"\x89PNG\r\n\x1a\n" for p in photos)
    async with db.session() as s:
        entry = await s.scalar(select(AuditLog).where(AuditLog.action == "report.export"))
    assert entry is not None and entry.actor_tg_id == STAFF_ID
    assert entry.details == {"period": "last_month", "first": "2026-11-01", "last": "2026-11-30"}


async def test_staff_type_their_own_dates(staff: TgClient, db: Any) -> None:
    await data.fill(db)
    await staff.send("/admin")
    await staff.press("Отчёт для грантодателя")
    await staff.press("Свои даты")
    await staff.send("01.11.2026 до 31.11.2026")
    assert "Не получилось разобрать даты" in staff.last_text
    await staff.send("01.11.2026 до 15.11.2026")
    assert any("Охват за 01.11.2026 – 15.11.2026" in t for t in staff.texts())
    assert len(recorded(staff, "SendDocument")) == 1


@pytest.mark.parametrize("where", ["stranger_in_admin_chat", "staff_in_private"])
async def test_nobody_else_gets_the_report(
    where: str, client_factory: Any, db: Any, fake_session: Any
) -> None:
    await data.fill(db)
    if where == "stranger_in_admin_chat":
        someone = client_factory(4242, chat_id=ADMIN_CHAT_ID)
    else:
        someone = client_factory(STAFF_ID)
    await someone.send("/report")
    await someone.press_data("rpt:last_month")
    assert not fake_session.calls_of("SendDocument") and not fake_session.calls_of("SendPhoto")
    assert not any("Охват за" in t for t in someone.texts())
    async with db.session() as s:
        assert await s.scalar(select(AuditLog).where(AuditLog.action == "report.export")) is None
