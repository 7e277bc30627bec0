"""Every dialog on the form engine behaves the same: one test per behaviour, parametrised over FORMS.

A feature adds its dialog to FORMS with a coroutine that brings a person (or a staff member in the
admin chat) to the dialog's first step, and returns that client. Where the dialog ends in a preview,
``to_preview`` answers every step from the first one to the preview.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from aiogram.types import Message

from db.base import utcnow
from handlers.booking.dialog import BOOK
from handlers.broadcasts.form import BROADCAST
from handlers.broadcasts.news import NEWS
from handlers.consultations.dialog import CONSULT
from handlers.events.form import EVENT
from handlers.forms import FIELDS, PREVIEW, Form, FormAction, FormCb
from handlers.ideas.form import IDEA
from handlers.registration.dialog import PROFILE, REGISTRATION
from handlers.registration.first import QUICK
from handlers.showcase.card_form import CARD
from handlers.showcase.trial import TRIAL
from services import booking as booking_service
from tests.client import STICKER, Press, TgClient
from tests.conftest import open_consent, register


@dataclass(frozen=True)
class FormCase:
    form: Form
    start: Callable[[Any, TgClient], Awaitable[TgClient]]
    """(client_factory, staff) -> the client, standing on the form's first step."""
    to_preview: Callable[[TgClient], Awaitable[None]] | None = None


async def _start_registration(client_factory: Any, staff: TgClient) -> TgClient:
    client = client_factory()
    await open_consent(client)
    await client.press("Даю согласие")
    return client


async def _start_first_contact(client_factory: Any, staff: TgClient) -> TgClient:
    """A new person acts (asks to book) and consents: the short registration."""
    client = client_factory()
    await client.send("/start")
    await client.send("/book")
    await client.press("Даю согласие")
    return client


async def _start_profile_edit(client_factory: Any, staff: TgClient) -> TgClient:
    client = client_factory()
    await register(client)
    await client.send("/profile")
    await client.press("Район")
    return client


async def press_prefix(client: TgClient, prefix: str, index: int) -> None:
    """Press one of the dialog message's buttons whose data starts with ``prefix``."""
    message = dialog_message(client, (await client.state_data()).get("msg"))
    assert message is not None and message.reply_markup is not None, client.texts()
    found = [
        b
        for row in message.reply_markup.inline_keyboard
        for b in row
        if (b.callback_data or "").startswith(prefix)
    ]
    await client.press_data(found[index].callback_data or "", message)


async def _start_booking(client_factory: Any, staff: TgClient) -> TgClient:
    client = client_factory()
    await register(client)
    async with client.dp["db"].session() as session:
        await booking_service.ensure_default_resources(session)
    await client.send("/book")
    return client


async def _booking_to_preview(client: TgClient) -> None:
    await client.press("Переговорная")
    await press_prefix(client, "fm:Book:day:p:2", -1)  # the last bookable day of the month shown
    await press_prefix(client, "fm:Book:time:p:", 0)
    await client.press("1 ч", exact=True)
    await client.press("Пропустить")


def _registered_sends(command: str) -> Callable[[Any, TgClient], Awaitable[TgClient]]:
    """The start of a dialog that a registered person opens with ``command``."""

    async def start(client_factory: Any, staff: TgClient) -> TgClient:
        client = client_factory()
        await register(client)
        await client.send(command)
        return client

    return start


async def _consultation_to_preview(client: TgClient) -> None:
    await client.walk(
        Press("Гранты"),
        "Как оформить отчёт по гранту?",
        Press("частное лицо"),
        Press("Онлайн"),
        Press("В любое время"),
    )


def _provider_presses(*labels: str) -> Callable[[Any, TgClient], Awaitable[TgClient]]:
    """The start of a dialog that a provider opens from /my → «Мои услуги» with ``labels``."""

    async def start(client_factory: Any, staff: TgClient) -> TgClient:
        from tests.test_showcase import make_provider

        provider = await make_provider(client_factory)
        await provider.send("/my")
        await provider.walk(Press("Мои услуги"), *map(Press, labels))
        return provider

    return start


async def _trial_to_preview(client: TgClient) -> None:
    today = utcnow().astimezone(client.dp["settings"].tz).date()
    await client.send((today + timedelta(days=10)).strftime("%d.%m.%Y"))
    await client.send((today + timedelta(days=12)).strftime("%d.%m.%Y"))
    await client.send("Мастерская по ремонту одежды")


async def _card_to_preview(client: TgClient) -> None:
    await client.walk(
        Press("Оставить"),
        "Помощь по дому пожилым",
        Press("Помощь пожилым"),
        "Уборка, покупка продуктов и лекарств.",
        *map(Press, ("Идринский", "Готово", "Бесплатно", "На дому", "Без фото")),
    )


async def _idea_to_preview(client: TgClient) -> None:
    await client.walk(
        "Спортплощадка у школы",
        "Подросткам негде заниматься спортом после уроков.",
        "Поставить турники во дворе школы №1.",
        *map(Press, ("Краснотуранский", "Молодёжь", "Помещение", "Готово", "Пропустить")),
    )


async def _start_digest_news(client_factory: Any, staff: TgClient) -> TgClient:
    await staff.send("/digest")
    await staff.press("Добавить новость")
    return staff


async def _news_to_preview(staff: TgClient) -> None:
    await staff.send("Субботник в парке в субботу")


async def _start_new_event(client_factory: Any, staff: TgClient) -> TgClient:
    await staff.send("/new_event")
    return staff


async def _event_to_preview(staff: TgClient) -> None:
    from datetime import timedelta

    from db.base import utcnow
    from services import events as ev

    start = (utcnow() + timedelta(days=5)).astimezone(ev.display_tz())
    await staff.send("Семинар по отчётности")
    await staff.send("Как сдать отчёт в Минюст")
    await staff.press("Семинар")
    await staff.send(start.strftime("%d.%m.%Y 14:00"))
    for label in ("2 ч", "В Центре", "Без уточнения", "Без ограничения", "До начала", "Готово", "Без афиши"):
        await staff.press(label)


async def _start_broadcast(client_factory: Any, staff: TgClient) -> TgClient:
    await register(client_factory(7101))  # somebody to send to
    text = staff._message(text="Субботник в парке в субботу")
    await staff.send("/broadcast", reply_to_message=text)
    return staff


async def _broadcast_to_preview(staff: TgClient) -> None:
    await staff.press("Далее")


FORMS: list[FormCase] = [
    FormCase(REGISTRATION, _start_registration),
    FormCase(QUICK, _start_first_contact),
    FormCase(PROFILE, _start_profile_edit),
    FormCase(BOOK, _start_booking, _booking_to_preview),
    FormCase(CONSULT, _registered_sends("/consult"), _consultation_to_preview),
    FormCase(TRIAL, _provider_presses("Пробный офис", "Подать заявку"), _trial_to_preview),
    FormCase(CARD, _provider_presses("Новая карточка"), _card_to_preview),
    FormCase(IDEA, _registered_sends("/idea"), _idea_to_preview),
    FormCase(NEWS, _start_digest_news, _news_to_preview),
    FormCase(EVENT, _start_new_event, _event_to_preview),
    FormCase(BROADCAST, _start_broadcast, _broadcast_to_preview),
]


@pytest.fixture(params=FORMS, ids=lambda case: case.form.name)
def case(request: pytest.FixtureRequest) -> FormCase:
    return request.param


async def _begin(case: FormCase, client_factory: Any, staff: TgClient) -> TgClient:
    client = await case.start(client_factory, staff)
    assert (await client.state_data()).get("form") == case.form.name, client.texts()
    return client


def dialog_message(client: TgClient, message_id: int | None) -> Message | None:
    return client.session.messages.get(client.chat_id, {}).get(message_id) if message_id else None


async def send_to_dialog(client: TgClient, case: FormCase, **fields: Any) -> None:
    """A message into the dialog; staff forms take only replies to the dialog message."""
    if case.form.staff:
        fields["reply_to_message"] = dialog_message(client, (await client.state_data()).get("msg"))
    if "text" in fields:
        await client.send(fields.pop("text"), **fields)
    else:
        await client.send_message(**fields)


def _nav_labels(client: TgClient) -> list[str]:
    """The «Назад»/«Отмена» of the current step: inline buttons, or a reply keyboard's."""
    call = [c for c in client.session.calls if c.name in ("SendMessage", "EditMessageText")][-1]
    markup = getattr(call.method, "reply_markup", None)
    if markup is None:
        return []
    rows = getattr(markup, "inline_keyboard", None) or getattr(markup, "keyboard", [])
    return [button.text for row in rows for button in row]


async def test_back_and_cancel_on_the_first_step(case: FormCase, client_factory, staff) -> None:
    client = await _begin(case, client_factory, staff)
    labels = " ".join(_nav_labels(client))
    assert "Назад" in labels and "Отмена" in labels, labels


async def test_cancel_leaves_the_form(case: FormCase, client_factory, staff) -> None:
    client = await _begin(case, client_factory, staff)
    await client.press("Отмена")
    assert "отмен" in client.all_text().lower()  # «Отменено», «Рассылка отменена…»
    assert await client.step() is None


async def test_wrong_kind_of_input_gets_a_hint_and_the_same_prompt(
    case: FormCase, client_factory, staff
) -> None:
    client = await _begin(case, client_factory, staff)
    where = await client.step()
    prompt = client.last_text
    await send_to_dialog(client, case, sticker=STICKER)
    assert len(client.texts()) >= 2, client.texts()  # a hint, then the same prompt
    assert client.last_text == prompt
    assert await client.step() == where


async def test_command_mid_dialog_gets_a_hint_and_keeps_the_dialog(
    case: FormCase, client_factory, staff
) -> None:
    client = await _begin(case, client_factory, staff)
    where = await client.step()
    draft = await client.draft()
    await send_to_dialog(client, case, text="/events")
    assert "заполняете форму" in client.all_text()
    assert await client.step() == where and await client.draft() == draft


async def test_old_buttons_stop_working(case: FormCase, client_factory, staff) -> None:
    """A button of another step (an older prompt) does nothing but say it is out of date."""
    client = await _begin(case, client_factory, staff)
    where = await client.step()
    draft = await client.draft()
    current = (await client.state_data()).get("step")
    other = next((step.name for step in case.form.steps if step.name != current), FIELDS)  # a one-step form
    message = dialog_message(client, (await client.state_data()).get("msg"))
    for action in (FormAction.CANCEL, FormAction.BACK, FormAction.PICK):
        await client.press_data(FormCb(f=case.form.name, s=other, a=action, v="x").pack(), message)
        assert client.alerts() and "не действует" in client.alerts()[0]
        assert await client.step() == where and await client.draft() == draft


async def test_back_on_the_first_step_leaves_without_an_error(case: FormCase, client_factory, staff) -> None:
    client = await _begin(case, client_factory, staff)
    await client.press("Назад")
    assert await client.step() is None
    assert client.texts(), "the person is told where they are"


async def _press_edit(client: TgClient) -> None:
    """«Изменить поле» of the preview, whatever the form calls it."""
    for message in reversed(list(client.session.messages.get(client.chat_id, {}).values())):
        for row in message.reply_markup.inline_keyboard if message.reply_markup else []:
            for button in row:
                if (button.callback_data or "").startswith("fm:") and ":e:" in (button.callback_data or ""):
                    await client.press_data(button.callback_data or "", message)
                    return
    raise AssertionError("no «Изменить поле» button")


async def test_preview_offers_change_of_a_field(case: FormCase, client_factory, staff) -> None:
    if case.to_preview is None:
        pytest.skip("this dialog ends without a preview")
    if not any(step.label for step in case.form.steps):
        pytest.skip("nothing to change on this preview (the broadcast: «Назад» to the audience)")
    client = await _begin(case, client_factory, staff)
    await case.to_preview(client)
    assert (await client.state_data()).get("step") == PREVIEW
    draft = await client.draft()
    await _press_edit(client)
    labelled = [s.name for s in case.form.active(draft) if s.label]
    # the list of fields, or the one field itself when there is only one to change
    assert (await client.state_data()).get("step") == (FIELDS if len(labelled) > 1 else labelled[0])
    await client.press("Назад")
    assert (await client.state_data()).get("step") == PREVIEW and await client.draft() == draft


async def test_a_pressed_choice_edits_the_dialog_message_in_place(
    case: FormCase, client_factory, staff
) -> None:
    client = await _begin(case, client_factory, staff)
    data = await client.state_data()
    message = dialog_message(client, data.get("msg"))
    assert message is not None and message.reply_markup is not None
    picks = [
        b
        for row in message.reply_markup.inline_keyboard
        for b in row
        if (b.callback_data or "").startswith(f"fm:{case.form.name}:") and ":p:" in (b.callback_data or "")
    ]
    if not picks:
        pytest.skip("the first step is answered by typing")
    await client.press_data(picks[0].callback_data or "", message)
    edits = [c for c in client.replies if c.name == "EditMessageText"]
    sent = [c for c in client.replies if c.name == "SendMessage"]
    assert edits or sent, client.replies
    if edits:
        assert edits[-1].method.message_id == message.message_id  # the same message, edited
        assert (await client.state_data()).get("msg") in (message.message_id, None)
