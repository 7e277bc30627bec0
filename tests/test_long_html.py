"""Long HTML texts (issue #14): cut at whole lines before building, never inside a tag or an entity."""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import pytest

from db.base import utcnow
from db.models import User
from db.models.events import Event, EventSignup
from handlers.texts import cut_html, join_lines
from tests.client import TgClient


class Checker(HTMLParser):
    """Telegram's HTML in short: every tag closed in order, no stray '<', entities whole."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack}"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        assert "<" not in data and ">" not in data, f"a cut tag: {data[-40:]!r}"

    def handle_entityref(self, name: str) -> None:
        assert name in {"lt", "gt", "amp", "quot"}, name


def assert_valid_html(text: str, limit: int = 4096) -> None:
    assert len(text) <= limit
    checker = Checker()
    checker.feed(text)
    checker.close()
    assert not checker.stack, f"left open: {checker.stack}"
    assert not checker.rawdata, f"an unfinished tag or entity at the end: {checker.rawdata!r}"
    tail = text[-12:]
    assert "&" not in tail or ";" in tail[tail.rfind("&") :], f"a cut entity: {tail!r}"


@pytest.mark.parametrize("size", [10, 100, 500, 3000, 9000])
def test_cut_html_keeps_tags_whole(size: int) -> None:
    lines = [f"<b>{i}.</b> <i>{'&lt;слово&amp;' * (i % 7)}</i> <code>x</code>" for i in range(size)]
    one_long_line = "<b>" + "&amp;текст " * size + "</b>"
    for text in ("\n".join(lines), one_long_line, "<i>" + "\n".join(lines) + "</i>"):
        assert_valid_html(cut_html(text, 4096))
        assert_valid_html(join_lines(lines))


async def test_event_feedback_list_is_valid_html_however_long(
    client: TgClient, staff: TgClient, db: Any
) -> None:
    """The probe: 30 long comments full of «<&>» made the feedback list cut inside an entity (text[:4000])."""
    now = utcnow()
    async with db.session() as s:
        event = Event(
            title="Семинар",
            kind="seminar",
            starts_at=now - timedelta(days=2),
            ends_at=now - timedelta(days=2) + timedelta(hours=2),
            place_kind="center",
            reg_deadline=now - timedelta(days=3),
            status="published",
            checkin_code="c0de",
            created_by=5001,
        )
        s.add(event)
        await s.flush()
        for i in range(30):
            person = User(tg_id=90000 + i, full_name=f"Участник & «{i}» <гость>", status="registered")
            s.add(person)
            await s.flush()
            s.add(
                EventSignup(
                    event_id=event.id,
                    user_id=person.id,
                    status="attended",
                    rating=5,
                    comment=("<&> " * 80)[: 300 - i],
                    feedback_at=now - timedelta(minutes=i),
                )
            )
        await s.commit()
        event_id = event.id
    await staff.press_data(f"eva:fb:{event_id}:0")
    text = staff.last_text
    assert "Участник" in text
    assert_valid_html(text)


async def test_any_text_over_the_limit_is_cut_whole_before_it_is_sent(bot: Any, fake_session: Any) -> None:
    """The net under every dialog: a built text too long for Telegram is cut at a whole line, tags closed."""
    text = "<b>Список</b>\n" + "\n".join(f"<i>{i}</i> &amp; строка" for i in range(600))
    await bot.send_message(1001, "<blockquote>" + text + "</blockquote>")
    sent = fake_session.calls_of("SendMessage")[-1].method.text
    assert sent.startswith("<blockquote><b>Список</b>")
    assert_valid_html(sent)
