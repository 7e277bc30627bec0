"""/privacy's export as messages a person can read: what the Center holds about them, in plain words,
grouped by feature, dates in the bot's style («пт, 5 декабря, 14:00»; the year only when it is not this
one). Built from the same dict as the JSON file (services.privacy.export), so the two never disagree."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration as hd

from services import dates as date_style

MESSAGE_LIMIT = 3800
"""Telegram allows 4096 characters a message; a section longer than this goes on in the next one."""
TEXT_CUT = 200
"""A person's own long texts (a question, an idea) are shown cut: the whole of them is in the file."""
ITEMS_MAX = 30
"""Items shown per section; the rest are counted (all of them are in the file)."""


def known(key: str, fallback: str) -> str:
    """The text of ``key``, or ``fallback`` when the catalogs have no such key."""
    text = _(key)
    return fallback if text == key else text


def cut(text: Any, limit: int = TEXT_CUT) -> str:
    value = " ".join(str(text or "").split())
    return hd.quote(value if len(value) <= limit else value[: limit - 1] + "…")


class Dates:
    """ISO moments from the export in the bot's date style, in the Center's zone."""

    def __init__(self, tz: ZoneInfo, now: datetime) -> None:
        self.tz = tz
        self.today = now.astimezone(tz).date()

    def day(self, value: Any) -> str:
        moment = self._parse(value)
        if moment is None:
            return "—"
        return date_style.day_text(moment.date(), _, self.today)

    def moment(self, value: Any) -> str:
        moment = self._parse(value)
        if moment is None:
            return "—"
        if isinstance(value, str) and len(value) == 10:  # a date alone
            return self.day(value)
        return f"{self.day(value)}, {moment:%H:%M}"

    def _parse(self, value: Any) -> datetime | None:
        if not value:
            return None
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            return None
        return moment.astimezone(self.tz) if moment.tzinfo else moment


Line = Callable[[dict[str, Any], Dates], str]


def _status(item: dict[str, Any], prefix: str) -> str:
    """The item's status in words (the locale key ``prefix`` + status), or the raw status."""
    return known(f"{prefix}{item.get('status')}", str(item.get("status")))


def _own_text(key: str, value: Any) -> str:
    """A further line with the person's own text (cut), or nothing when there is none."""
    return "\n  " + _(key).format(text=cut(value)) if value else ""


def _booking(item: dict[str, Any], dates: Dates) -> str:
    text = _("flows.privacy.booking").format(
        resource=hd.quote(item.get("resource") or "—"),
        when=dates.moment(item.get("start")),
        status=_status(item, "booking.status."),
    )
    return text + _own_text("flows.privacy.purpose", item.get("purpose"))


def _consultation(item: dict[str, Any], dates: Dates) -> str:
    messages = item.get("messages") or []
    voices = sum(1 for m in messages if m.get("kind") == "voice")
    text = _("flows.privacy.consultation").format(
        number=item.get("number"),
        topic=hd.quote(item.get("topic") or "—"),
        when=dates.day(item.get("created_at")),
        status=_status(item, "consult.status."),
    )
    text += _own_text("flows.privacy.question", item.get("question"))
    if messages:
        text += "\n  " + _("flows.privacy.messages").format(count=len(messages), voices=voices)
    if item.get("meeting_at"):
        text += "\n  " + _("flows.privacy.meeting").format(when=dates.moment(item["meeting_at"]))
    return text


def _signup(item: dict[str, Any], dates: Dates) -> str:
    text = _("flows.privacy.signup").format(
        event=hd.quote(item.get("event") or "—"),
        when=dates.moment(item.get("starts_at")),
        status=_status(item, "events.status_"),
    )
    return text + _own_text("flows.privacy.comment", item.get("comment"))


def _idea(item: dict[str, Any], dates: Dates) -> str:
    text = _("flows.privacy.idea").format(
        title=hd.quote(item.get("title") or "—"),
        when=dates.day(item.get("created_at")),
        status=_status(item, "ideas.status."),
        supports=item.get("supports") or 0,
    )
    attachments = item.get("attachments") or []
    if attachments:
        voices = sum(1 for m in attachments if m.get("kind") == "voice")
        text += "\n  " + _("flows.privacy.attachments").format(count=len(attachments), voices=voices)
    return text


def _supported(item: dict[str, Any], dates: Dates) -> str:
    return _("flows.privacy.supported").format(number=item.get("idea_id"), when=dates.day(item.get("at")))


def _card(item: dict[str, Any], dates: Dates) -> str:
    return _("flows.privacy.card").format(
        title=hd.quote(item.get("title") or "—"),
        organisation=hd.quote(item.get("organisation") or "—"),
        status=_status(item, "showcase.card_status_"),
    )


def _request(item: dict[str, Any], dates: Dates) -> str:
    text = _("flows.privacy.request").format(
        number=item.get("id"),
        when=dates.day(item.get("created_at")),
        status=_status(item, "showcase.status_"),
    )
    text += _own_text("flows.privacy.comment", item.get("note"))
    if item.get("note_voice_file_id"):
        text += "\n  " + _("flows.privacy.voice")
    if item.get("phone_shared_with_provider"):
        text += "\n  " + _("flows.privacy.phone_shared")
    return text


def _trial(item: dict[str, Any], dates: Dates) -> str:
    return _("flows.privacy.trial").format(
        start=dates.day(item.get("date_from")),
        end=dates.day(item.get("date_to")),
        status=_status(item, "showcase.trial_status_"),
    )


def _consent(item: dict[str, Any], dates: Dates) -> str:
    return _("flows.privacy.consent").format(
        action=known(f"flows.privacy.consent_{item.get('action')}", str(item.get("action"))),
        version=hd.quote(str(item.get("policy_version") or "—")),
        when=dates.moment(item.get("at")),
    )


ITEMS: tuple[tuple[str, str, Line], ...] = (
    ("bookings", "flows.privacy.h.bookings", _booking),
    ("consultations", "flows.privacy.h.consultations", _consultation),
    ("event_signups", "flows.privacy.h.event_signups", _signup),
    ("ideas.ideas", "flows.privacy.h.ideas", _idea),
    ("ideas.supported", "flows.privacy.h.supported", _supported),
    ("showcase.cards", "flows.privacy.h.cards", _card),
    ("showcase.requests", "flows.privacy.h.requests", _request),
    ("showcase.trial_office_applications", "flows.privacy.h.trials", _trial),
    ("consents", "flows.privacy.h.consents", _consent),
)
"""(where in the export, the section's title, how one item reads), in the order they are shown."""

COUNTED: tuple[tuple[str, str], ...] = (
    ("showcase.messages_sent", "flows.privacy.n.messages_sent"),
    ("showcase.messages_received", "flows.privacy.n.messages_received"),
    ("broadcasts", "flows.privacy.n.broadcasts"),
    ("notifications", "flows.privacy.n.notifications"),
    ("staff_actions_about_you", "flows.privacy.n.staff_actions"),
)
"""Records shown as a count only (their details are in the file)."""


def _at(data: dict[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _profile(data: dict[str, Any], dates: Dates) -> str:
    dash = "—"
    group = data.get("target_group")
    district = data.get("district")
    lines = [
        _("flows.privacy.h.profile"),
        _("flows.privacy.profile").format(
            name=hd.quote(data.get("full_name") or dash),
            username=hd.quote("@" + data["username"]) if data.get("username") else dash,
            phone=hd.quote(data.get("phone") or dash),
            organisation=hd.quote(data.get("organisation") or dash),
            group=known(f"group.{group}", str(group)) if group else dash,
            district=known(f"district.{district}", str(district)) if district else dash,
            registered=dates.day(data.get("registered_at")),
        ),
        _("flows.privacy.settings").format(
            reminders=_("flows.privacy.yes") if data.get("reminders_enabled") else _("flows.privacy.no"),
            digest=_("flows.privacy.yes") if data.get("digest_enabled") else _("flows.privacy.no"),
            news=_("flows.privacy.yes") if data.get("news_opt_in") else _("flows.privacy.no"),
        ),
    ]
    return "\n".join(lines)


def readable(data: dict[str, Any], tz: ZoneInfo, now: datetime) -> list[str]:
    """The export as one or more HTML messages (each within Telegram's limit)."""
    dates = Dates(tz, now)
    blocks = [_("flows.privacy.title"), _profile(data, dates)]
    for path, title, line in ITEMS:
        items = _at(data, path)
        if not isinstance(items, list) or not items:
            continue
        lines = [_(title)]
        lines += ["• " + line(item, dates) for item in items[:ITEMS_MAX] if isinstance(item, dict)]
        if len(items) > ITEMS_MAX:
            lines.append(_("flows.privacy.more").format(count=len(items) - ITEMS_MAX))
        blocks.append("\n".join(lines))
    counts = []
    for path, key in COUNTED:
        items = _at(data, path)
        if isinstance(items, list) and items:
            counts.append(_(key).format(count=len(items)))
    if counts:
        blocks.append("\n".join([_("flows.privacy.h.other"), *counts]))
    blocks.append(_("flows.privacy.footer"))
    return pack(blocks)


def pack(blocks: list[str], limit: int = MESSAGE_LIMIT) -> list[str]:
    """Blocks joined into messages of at most ``limit`` characters; a block too long alone is split at
    its lines (never inside one, so no HTML tag is cut)."""
    messages: list[str] = []
    current = ""
    for block in blocks:
        for piece in _split(block, limit):
            joined = f"{current}\n\n{piece}" if current else piece
            if len(joined) > limit:
                messages.append(current)
                current = piece
            else:
                current = joined
    if current:
        messages.append(current)
    return messages


def _split(block: str, limit: int) -> list[str]:
    if len(block) <= limit:
        return [block]
    pieces: list[str] = []
    current = ""
    for line in block.split("\n"):
        line = line[:limit]
        joined = f"{current}\n{line}" if current else line
        if len(joined) > limit:
            pieces.append(current)
            current = line
        else:
            current = joined
    if current:
        pieces.append(current)
    return pieces
