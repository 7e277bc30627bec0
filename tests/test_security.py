"""Findings of the security review (issue #14): each test replays the probe that showed the hole."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

import pytest
from aiogram.types import Chat, ChatMemberLeft, ChatMemberMember, ChatMemberUpdated, Update, User

from tests.client import TgClient
from tests.conftest import ADMIN_CHAT_ID, register

GROUP_VISIBLE = {
    "SendMessage",
    "SendDocument",
    "SendPhoto",
    "EditMessageText",
    "EditMessageReplyMarkup",
    "EditMessageCaption",
    "CopyMessage",
    "SendVenue",
    "SendLocation",
}

RESIDENT_BUTTONS = [
    "priv:export",
    "priv:erase",
    "priv:erase_yes",
    "menu:privacy",
    "menu:book",
    "menu:my",
    "menu:ideas",
    "menu:events",
    "menu:consult",
    "menu:showcase",
    "menu:settings",
    "nav:cancel",
    "nav:back",
]


@pytest.mark.parametrize("status", ["left", "member"])  # a non-staff presser, and staff too
@pytest.mark.parametrize("data", RESIDENT_BUTTONS)
async def test_resident_buttons_do_nothing_in_a_group(
    data: str, status: str, client: TgClient, client_factory: Any, fake_session: Any
) -> None:
    """The probe: a forged ``priv:export`` pressed in the admin chat posted the presser's data export into
    the group. A resident button pressed in a group now only gets the out-of-date alert."""
    await register(client, organisation="ООО Маркер")
    in_group = client_factory(client.user.id, chat_id=ADMIN_CHAT_ID)
    fake_session.set_member(ADMIN_CHAT_ID, client.user.id, status)
    await in_group.press_data(data)
    shown = [c for c in in_group.replies if c.name in GROUP_VISIBLE]
    assert shown == [], [c.name for c in shown]
    assert in_group.alerts(), "the presser is told the button is out of date"


async def test_nav_cancel_by_a_non_staff_member_of_the_admin_chat_does_nothing(
    client_factory: Any, fake_session: Any
) -> None:
    member = client_factory(7301, chat_id=ADMIN_CHAT_ID)
    await member.press_data("nav:cancel")
    assert not [c for c in member.replies if c.name in GROUP_VISIBLE]


def membership(user_id: int, new: str) -> Update:
    user = User(id=user_id, is_bot=False, first_name="Бывший")
    chat = Chat(id=ADMIN_CHAT_ID, type="supergroup", title="Staff")
    new_member = ChatMemberLeft(user=user) if new == "left" else ChatMemberMember(user=user)
    old_member = ChatMemberMember(user=user) if new == "left" else ChatMemberLeft(user=user)
    return Update(
        update_id=900001,
        chat_member=ChatMemberUpdated(
            chat=chat,
            from_user=user,
            date=datetime(2026, 12, 9, tzinfo=UTC),
            old_chat_member=old_member,
            new_chat_member=new_member,
        ),
    )


async def test_leaving_the_admin_chat_ends_staff_rights_at_once(
    dp: Any, bot: Any, client_factory: Any, fake_session: Any
) -> None:
    """The probe: someone who left the staff chat kept staff rights for STAFF_CACHE_SECONDS (cached)."""
    assert "chat_member" in dp.resolve_used_update_types()  # asked of Telegram in polling and webhook mode
    former = client_factory(7302, chat_id=ADMIN_CHAT_ID)
    fake_session.set_member(ADMIN_CHAT_ID, 7302, "member")
    await former.send("/admin")
    assert former.sent("SendMessage") and "доступна только сотрудникам" not in former.last_text
    staff_menu = former.last_text
    fake_session.set_member(ADMIN_CHAT_ID, 7302, "left")
    await dp.feed_update(bot, membership(7302, "left"))
    await former.send("/admin")
    assert former.last_text != staff_menu
    assert "доступна только сотрудникам" in former.last_text


# --- bounded ids in callback data ------------------------------------------------------------------

HUGE = "99999999999999999999"  # past 2**63: OverflowError on SQLite, DataError on PostgreSQL


def callback_classes() -> list[type]:
    import importlib
    import pkgutil

    from aiogram.filters.callback_data import CallbackData

    import handlers
    import keyboards

    for package in (keyboards, handlers):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            importlib.import_module(info.name)

    def walk(cls: type) -> list[type]:
        return [sub for direct in cls.__subclasses__() for sub in (direct, *walk(direct))]

    return [c for c in walk(CallbackData) if c.__module__.startswith(("keyboards", "handlers"))]


def _sample(annotation: Any) -> Any:
    """An ordinary value of a button's field: 0, the first member of an Enum action, else "x"."""
    if annotation is int:
        return 0
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return next(iter(annotation))
    return "x"


def test_every_integer_field_of_every_button_is_bounded() -> None:
    checked = 0
    for cls in callback_classes():
        for name, field in cls.model_fields.items():
            if field.annotation is not int:
                continue
            values = {n: _sample(f.annotation) for n, f in cls.model_fields.items()}
            cls(**values).pack()  # an ordinary button packs
            for bad in (HUGE, "2147483648", "-1"):
                raw = cls(**values).pack().split(":")
                raw[1 + list(cls.model_fields).index(name)] = bad
                with pytest.raises(ValueError):
                    cls.unpack(":".join(raw))
            checked += 1
    assert checked >= 20


@pytest.mark.parametrize(
    "data",
    [
        f"shv:{HUGE}",
        f"shx:{HUGE}",
        f"shc:open:{HUGE}",
        f"shr:write:{HUGE}:0",
        f"idea:own:{HUGE}",
        f"idea:support:{HUGE}",
        f"ideal:open:::0:{HUGE}",
        f"ideaf:edit:{HUGE}",
        f"ev:card:{HUGE}:0",
        f"ev:su:{HUGE}:0",
        f"bka:cancel:{HUGE}",
        f"bk:res:{HUGE}",
        f"cns:rate:{HUGE}:5",
        f"cns:rate:1:{HUGE}",
        f"bcu:off:{HUGE}",
        f"shf:category:{HUGE}",
    ],
)
async def test_an_oversized_id_in_a_resident_button_is_out_of_date(data: str, client: TgClient) -> None:
    """The probe: a forged button with an id past 2**63 raised OverflowError / DataError."""
    await register(client)
    await client.press_data(data)  # the client fails the test on any unhandled error
    assert client.alerts() or client.texts(), "the press is answered"


@pytest.mark.parametrize(
    "data",
    [
        f"adm:idea_card:{HUGE}",
        f"adm:sc_card:{HUGE}",
        f"adm:sc_exl_{HUGE}:1",
        f"cna:close:{HUGE}:",
        f"sbk:gs:{HUGE}:1",
        f"sbk:gd:1:{HUGE}-60",
        f"eva:card:{HUGE}:0",
        f"bc:ref:{HUGE}:",
    ],
)
async def test_an_oversized_id_in_a_staff_button_is_out_of_date(data: str, staff: TgClient) -> None:
    await staff.press_data(data)
    assert staff.alerts() or staff.texts()
