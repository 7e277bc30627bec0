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
from handlers.forms import FIELDS, PREVIEW, Form, FormAction, FormCb
from handlers.ideas.form import IDEA
from handlers.registration.dialog import PROFILE, REGISTRATION
from handlers.showcase.card_form import CARD
from handlers.showcase.trial import TRIAL
from tests.client import STICKER, TgClient
from tests.conftest import register


@dataclass(frozen=True)
class FormCase:
    form: Form
    start: Callable[[Any, TgClient], Awaitable[TgClient]]
    """(client_factory, staff) -> the client, standing on the form's first step."""
    to_preview: Callable[[TgClient], Awaitable[None]] | None = None


async def _start_registration(client_factory: Any, staff: TgClient) -> TgClient:
    client = client_factory()
    await client.send("/start")
    await client.press("Согласен")
    return client


async def _start_profile_edit(client_factory: Any, staff: TgClient) -> TgClient:
    client = client_factory()
    await register(client)
    await client.send("/profile")
    await client.press("Район")
    return client


async def _start_trial(client_factory: Any, staff: TgClient) -> TgClient:
    from tests.test_showcase import make_provider

    provider = await make_provider(client_factory)
    await provider.send("/my")
    await provider.press("Мои услуги")
    await provider.press("Пробный офис")
    await provider.press("Подать заявку")
    return provider


async def _trial_to_preview(client: TgClient) -> None:
    today = utcnow().astimezone(client.dp["settings"].tz).date()
    await client.send((today + timedelta(days=10)).strftime("%d.%m.%Y"))
    await client.send((today + timedelta(days=12)).strftime("%d.%m.%Y"))
    await client.send("Мастерская по ремонту одежды")


async def _start_card(client_factory: Any, staff: TgClient) -> TgClient:
    from tests.test_showcase import make_provider

    provider = await make_provider(client_factory)
    await provider.send("/my")
    await provider.press("Мои услуги")
    await provider.press("Новая карточка")
    return provider


async def _card_to_preview(client: TgClient) -> None:
    await client.press("Оставить")
    await client.send("Помощь по дому пожилым")
    await client.press("Помощь пожилым")
    await client.send("Уборка, покупка продуктов и лекарств.")
    await client.press("Идринский")
    await client.press("Готово")
    await client.press("Бесплатно")
    await client.press("На дому")
    await client.press("Без фото")


async def _start_idea(client_factory: Any, staff: TgClient) -> TgClient:
    client = client_factory()
    await register(client)
    await client.send("/idea")
    return client


async def _idea_to_preview(client: TgClient) -> None:
    await client.send("Спортплощадка у школы")
    await client.send("Подросткам негде заниматься спортом после уроков.")
    await client.send("Поставить турники во дворе школы №1.")
    await client.press("Краснотуранский")
    await client.press("Молодёжь")
    await client.press("Помещение")
    await client.press("Готово")
    await client.press("Пропустить")


FORMS: list[FormCase] = [
    FormCase(REGISTRATION, _start_registration),
    FormCase(PROFILE, _start_profile_edit),
    FormCase(TRIAL, _start_trial, _trial_to_preview),
    FormCase(CARD, _start_card, _card_to_preview),
    FormCase(IDEA, _start_idea, _idea_to_preview),
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
    assert "отменено" in client.all_text().lower()
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
    other = next(step.name for step in case.form.steps if step.name != current)
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


async def test_preview_offers_change_of_a_field(case: FormCase, client_factory, staff) -> None:
    if case.to_preview is None:
        pytest.skip("this dialog ends without a preview")
    client = await _begin(case, client_factory, staff)
    await case.to_preview(client)
    assert (await client.state_data()).get("step") == PREVIEW
    draft = await client.draft()
    await client.press("Изменить поле")
    assert (await client.state_data()).get("step") == FIELDS
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
