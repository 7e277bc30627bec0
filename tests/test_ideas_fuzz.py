"""Randomised input into every state of the idea form: no unhandled error, the step stays where it was
and nothing already entered is lost (unless the input was a valid answer to a text step)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from aiogram.fsm.storage.base import StorageKey
from hypothesis import given
from hypothesis import strategies as st

from services import ideas as ideas_service
from services.users import DISTRICTS
from tests.client import TgClient
from tests.conftest import register
from tests.fuzz import examples, form_buttons, typed_texts, value_texts

FORM_STATES = (
    "title",
    "problem",
    "description",
    "district",
    "audience",
    "help",
    "media",
    "_preview",
    "_fields",
)
FULL = {
    "title": "Спортплощадка у школы",
    "problem": "Подросткам негде заниматься спортом после уроков.",
    "description": "Поставить турники во дворе школы и провести субботник.",
    "district": "idrinsky",
    "audience": "youth",
    "help": ["space"],
    "media": [{"kind": "photo", "file_id": "ph-1"}],
}
VALID = set(DISTRICTS) | set(ideas_service.AUDIENCES) | set(ideas_service.HELP_KINDS) | set(FULL)

texts = typed_texts(max_size=1200)
junk_buttons = st.one_of(
    st.text(max_size=64),
    st.builds(
        lambda a, v: f"ideaf:{a}:{v}",
        st.sampled_from(["district", "audience", "help", "edit", "x", "keep2"]),
        value_texts(20).filter(lambda v: v not in VALID),
    ),
    form_buttons(  # with values no step offers (or for another step)
        "idea",
        [*FORM_STATES, "x"],
        ["p", "f", "x"],
        value_texts(20).filter(lambda v: v not in VALID and v not in ("keep", "done", "clear")),
    ),
    st.builds(lambda i: f"idea:own:{i}", st.integers(min_value=-5, max_value=10**12)),
    st.builds(lambda i: f"ideal:sup:::0:{i}", st.integers(min_value=0, max_value=10**12)),
)


async def _prepare(client: TgClient, step: str) -> tuple[StorageKey, StorageKey]:
    key = StorageKey(bot_id=client.bot.id, chat_id=client.chat_id, user_id=client.user.id)
    draft_key = replace(key, destiny="ideas")
    if not getattr(client, "_registered", False):
        await register(client)
        client._registered = True  # type: ignore[attr-defined]
    await client.dp.storage.set_data(draft_key, {"draft": dict(FULL), "extra": {}, "step": step})
    await client.dp.storage.set_state(key, "form:idea")
    await client.dp.storage.set_data(key, {"form": "idea", "step": step, "draft": dict(FULL), "extra": {}})
    return key, draft_key


async def _where(client: TgClient, key: StorageKey) -> tuple[str | None, str | None]:
    return await client.dp.storage.get_state(key), (await client.dp.storage.get_data(key)).get("step")


@pytest.mark.parametrize("step", FORM_STATES)
@examples(12)
@given(text=texts, data=junk_buttons, sticker=st.booleans())
async def test_random_input_never_breaks_the_form(
    client: TgClient, step: str, text: str, data: str, sticker: bool
) -> None:
    """The idea form runs on the form engine: junk buttons and stickers leave it where it is; a
    valid text answer moves on with the answer stored cleaned; nothing entered is lost."""
    key, draft_key = await _prepare(client, step)
    here = ("form:idea", step)
    await client.press_data(data)
    assert await _where(client, key) == here
    if sticker:
        await client.send_sticker()
        assert await _where(client, key) == here
    if text.strip():
        await client.send(text)
    saved = await client.dp.storage.get_data(draft_key)
    draft = saved.get("draft") or {}
    if step in ("title", "problem", "description") and await _where(client, key) != here:
        # a valid answer: stored cleaned, the form went on
        clean = ideas_service.clean_title if step == "title" else ideas_service.clean_body
        assert draft[step] == clean(text.replace("\x00", ""))  # NUL never reaches handlers
        return
    assert await _where(client, key) == here
    if saved:  # the copy is written on every step shown; nothing entered is lost or changed
        assert {k: draft.get(k) for k in FULL} == FULL
