"""Randomised input into every showcase dialog state: no unhandled error, the dialog stays in its
group (or moves only on a valid answer), and nothing already entered is lost. Marked slow (CI runs
it with -m slow); bad input into the card dialog is also checked by tests/test_showcase.py."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from aiogram.fsm.storage.base import StorageKey
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy
from sqlalchemy import select

from db.base import utcnow
from db.engine import write
from db.models import User, UserStatus
from services import showcase as svc
from tests.client import TgClient
from tests.fuzz import examples, form_buttons, typed_texts, value_texts

pytestmark = pytest.mark.slow

FORM_STEPS = (
    "organisation",
    "title",
    "category",
    "description",
    "districts",
    "price",
    "format",
    "photo",
    "_preview",
    "_fields",
)
FORM_ACTIONS = ["p", "b", "c", "s", "ok", "e", "f", "x"]
TEXT_FIELDS = {
    "organisation": "organisation",
    "title": "title",
    "description": "description",
    "price": "price",
}

texts = typed_texts(max_size=900)
kinds = st.sampled_from(["text", "sticker", "photo", "document", "button"])
callback_data = st.one_of(
    st.text(max_size=64),
    st.sampled_from(["nav:back", "shf:submit:", "shf:districts_done:", "shf:price:free", "shr:skip:0:0"]),
    st.builds(
        lambda f, v: f"shf:{f}:{v}",
        st.sampled_from(
            ["organisation", "category", "district", "price", "format", "photo", "trial_send", "x"]
        ),
        value_texts(20),
    ),
    st.builds(
        lambda a, i, v: f"shr:{a}:{i}:{v}",
        st.sampled_from(["new", "phone", "skip", "rate", "acc", "write", "x"]),
        st.integers(-5, 10**6),
        st.integers(-5, 10),
    ),
)


async def provider(db, client: TgClient) -> None:
    async with db.session() as s:
        await svc.ensure_categories(s)
        exists = await s.scalar(select(User).where(User.tg_id == client.user.id))
        if exists is not None:
            return
        async with write(s):
            s.add(
                User(
                    tg_id=client.user.id,
                    full_name="Ольга Иванова",
                    status=UserStatus.REGISTERED,
                    target_group="nko_staff",
                    organisation="АНО «Добрые руки»",
                    district="idrinsky",
                    phone="+79131234567",
                    registered_at=utcnow(),
                )
            )


async def put_in(client: TgClient, state: str, data: dict) -> StorageKey:
    """Put ``client`` straight into ``state`` with ``data``, as if the dialog had brought it there."""
    key = StorageKey(bot_id=client.bot.id, chat_id=client.chat_id, user_id=client.user.id)
    await client.dp.storage.set_state(key, state)
    await client.dp.storage.set_data(key, data)
    return key


async def full_form(db) -> dict:
    async with db.session() as s:
        category = (await svc.categories(s))[0]
    return {
        "organisation": "АНО «Добрые руки»",
        "title": "Помощь по дому",
        "category_id": category.id,
        "description": "Уборка и покупки для пожилых людей.",
        "districts": ["idrinsky"],
        "price": None,
        "format": "home",
        "photo": None,
    }


@dataclass(frozen=True)
class Input:
    """One random thing a person does in a dialog: types ``text``, sends a sticker, a photo (``text`` is
    its caption) or a document, or presses a button carrying ``data``."""

    kind: str
    text: str
    data: str

    async def send_to(self, client: TgClient) -> None:
        if self.kind == "text":
            if self.text.strip():
                await client.send(self.text)
        elif self.kind == "sticker":
            await client.send_sticker()
        elif self.kind == "photo":
            await client.send_photo(caption=self.text[:100] or None)
        elif self.kind == "document":
            await client.send_document()
        else:
            await client.press_data(self.data)


def inputs(buttons: SearchStrategy[str]) -> SearchStrategy[Input]:
    return st.builds(Input, kinds, texts, buttons)


card_buttons = st.one_of(
    callback_data,
    form_buttons(
        "card",
        [*FORM_STEPS, "x"],
        FORM_ACTIONS,
        st.one_of(
            st.sampled_from(["keep", "drop", "free", "all", "done", "idrinsky", "home", "1", "999"]),
            value_texts(20),
        ),
    ),
)


@pytest.mark.parametrize("step", FORM_STEPS)
@examples(12)
@given(sent=inputs(card_buttons))
async def test_random_input_into_the_card_form(client: TgClient, db, step: str, sent: Input) -> None:
    """The card dialog runs on the form engine: random input keeps the dialog or leaves it by a
    button; on the same step whatever was entered before is intact."""
    await provider(db, client)
    form = await full_form(db)
    key = await put_in(client, "form:card", {"form": "card", "step": step, "draft": dict(form)})
    await sent.send_to(client)
    state = await client.dp.storage.get_state(key)
    if state is None:  # left the dialog: only by a button («Назад», «Отмена», «Подтвердить»)
        assert sent.kind == "button"
        return
    assert state == "form:card"
    stored = await client.dp.storage.get_data(key)
    after = stored.get("draft") or {}
    if stored.get("step") == step and after:
        # still on the step: whatever was entered before is intact
        for field, value in form.items():
            if field != {"category": "category_id"}.get(step, step) and field != "districts":
                assert after.get(field) == value, (field, after.get(field))


ASK_STATES = ("Ask:note", "Ask:phone", "Rate:comment", "Talk:message", "Browse:search")


@pytest.mark.parametrize("state_name", ASK_STATES)
@examples(10)
@given(sent=inputs(callback_data))
async def test_random_input_into_resident_states(client: TgClient, db, state_name: str, sent: Input) -> None:
    await provider(db, client)
    key = await put_in(client, state_name, {"sc_card": 999, "sc_rate": 999, "sc_talk": 999, "sc_d": "all"})
    await sent.send_to(client)
    state = await client.dp.storage.get_state(key)
    assert state in (state_name, None) or state.split(":")[0] == state_name.split(":")[0]


TRIAL_STEPS = ("from", "to", "purpose", "_preview", "_fields")
trial_buttons = st.one_of(
    callback_data,
    form_buttons("trial", [*TRIAL_STEPS, "x"], FORM_ACTIONS, value_texts(20)),
)


@pytest.mark.parametrize("step", TRIAL_STEPS)
@examples(10)
@given(sent=inputs(trial_buttons))
async def test_random_input_into_the_trial_form(client: TgClient, db, step: str, sent: Input) -> None:
    """The trial application runs on the form engine: random input keeps the dialog (or leaves it
    through «Отмена» / «Назад»), and only the step being answered may change the draft."""
    await provider(db, client)
    trial = {"from": "2030-05-01", "to": "2030-05-10", "purpose": "Пробую мастерскую по ремонту."}
    key = await put_in(client, "form:trial", {"form": "trial", "step": step, "draft": dict(trial)})
    await sent.send_to(client)
    state = await client.dp.storage.get_state(key)
    assert state in (None, "form:trial")
    if state == "form:trial":
        after = (await client.dp.storage.get_data(key)).get("draft") or {}
        for field in ("from", "to", "purpose"):
            if after.get(field) != trial[field]:  # only the current step's answer may change
                assert step == field


@pytest.mark.parametrize("state_name", ["StaffInput:comment", "StaffInput:category"])
@examples(10)
@given(sent=inputs(callback_data), action=st.sampled_from(["sc_ret", "sc_dec", "sc_tno", "x"]))
async def test_random_input_into_staff_states(
    staff: TgClient, db, state_name: str, sent: Input, action: str
) -> None:
    key = await put_in(staff, state_name, {"sc_action": action, "sc_id": 999, "sc_cat": 0})
    await sent.send_to(staff)
    state = await staff.dp.storage.get_state(key)
    assert state in (state_name, None)
