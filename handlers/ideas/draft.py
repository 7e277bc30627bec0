"""The idea form, declared on the form engine: seven steps (title, problem, idea, district, audience,
help wanted, attachments), the preview with «Подтвердить» / «Изменить поле», and the draft kept under
a destiny of its own ("ideas").

The engine keeps the dialog's draft in the FSM data; ``on_save`` also copies it (with its step) to
the "ideas" destiny, so a half-filled idea survives a restart and also /menu, /my or «Отмена», which
clear only the dialog. Coming back to /idea with a draft offers «Продолжить» / «Начать заново».
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration as hd

from handlers.forms import STAY, FormContext, Step, text_of
from handlers.ideas.views import idea_body, send_media
from services import ideas as ideas_service
from services.errors import ValidationFailed
from services.plural import plural
from services.users import DISTRICTS

DRAFT_DESTINY = "ideas"
STEPS = ("title", "problem", "description", "district", "audience", "help", "media")
KEEP, DONE, CLEAR = "keep", "done", "clear"


# --- the copy of the draft ----------------------------------------------------------------------


def _draft_ctx(state: FSMContext) -> FSMContext:
    return FSMContext(storage=state.storage, key=replace(state.key, destiny=DRAFT_DESTINY))


async def load_draft(state: FSMContext) -> dict[str, Any]:
    """{"draft": the answers, "extra": {"idea_id", "staff_comment"} when correcting, "step": where}."""
    return dict(await _draft_ctx(state).get_data())


async def drop_draft(state: FSMContext) -> None:
    await _draft_ctx(state).set_data({})


def has_content(saved: dict[str, Any]) -> bool:
    draft = saved.get("draft") or {}
    return bool((saved.get("extra") or {}).get("idea_id")) or any(draft.get(step) for step in STEPS)


async def keep_copy(ctx: FormContext, step: str) -> None:
    await _draft_ctx(ctx.state).set_data({"draft": ctx.draft, "extra": ctx.extra, "step": step})


# --- the steps ----------------------------------------------------------------------------------


SPOKEN = ("problem", "description")
"""Text steps a voice message may answer (it joins the attachments, which staff hear)."""


def _spoken(name: str, clean: Any) -> Any:
    """A text, or a voice message: the voice joins the attachments (staff hear it; the public card never
    shows it) and the field says it was told by voice (its caption, if any, is the text)."""

    def parse(message: Message, ctx: FormContext) -> str:
        if message.voice is None:
            return clean(text_of(message))
        media = list(ctx.draft.get("media") or [])
        if len(media) >= ideas_service.MEDIA_MAX:
            raise ValidationFailed("ideas.media_full", n=ideas_service.MEDIA_MAX)
        text = clean(message.caption) if message.caption else clean(_("flows.ideas.told_by_voice"))
        ctx.draft["media"] = [*media, {"kind": "voice", "file_id": message.voice.file_id}]
        return text

    return parse


def _text_step(name: str, limit: int, clean: Any) -> Step:
    def prompt(ctx: FormContext) -> str:
        text = plural(_, f"ideas.ask.{name}", limit)
        if name in SPOKEN:
            text += "\n" + _("flows.ideas.voice_hint")
        if ctx.draft.get(name):
            text += "\n\n" + _("ideas.current").format(value=hd.quote(ctx.draft[name]))
        return text

    return Step(
        name,
        prompt,
        choices=lambda ctx: [(_("ideas.btn.keep"), KEEP)] if ctx.draft.get(name) else [],
        pick=lambda raw, ctx: ctx.draft[name],
        parse=_spoken(name, clean) if name in SPOKEN else lambda message, ctx: clean(text_of(message)),
        width=1,
        hint="ideas.hint_text",
        label=f"ideas.field.{name}",
    )


def _pick_step(name: str, values: Any, label_prefix: str) -> Step:
    def choices(ctx: FormContext) -> list[tuple[str, str]]:
        current = ctx.draft.get(name)
        return [(("✅ " if v == current else "") + _(label_prefix + v), v) for v in values]

    return Step(
        name, f"ideas.ask.{name}", choices=choices, hint="ideas.hint_buttons", label=f"ideas.field.{name}"
    )


def _help_choices(ctx: FormContext) -> list[tuple[str, str]]:
    chosen = set(ctx.draft.get("help") or [])
    kinds = ideas_service.HELP_KINDS
    items = [(("✅ " if k in chosen else "▫️ ") + _(f"ideas.help.{k}"), k) for k in kinds]
    return [*items, (_("ideas.btn.done"), DONE)]


def _toggle_help(raw: str, ctx: FormContext) -> Any:
    chosen = [h for h in ctx.draft.get("help") or [] if h in ideas_service.HELP_KINDS]
    if raw == DONE:
        if not chosen:
            raise ValidationFailed("ideas.help_required")
        return chosen
    chosen = [h for h in chosen if h != raw] if raw in chosen else [*chosen, raw]
    ctx.draft["help"] = [h for h in ideas_service.HELP_KINDS if h in chosen]
    return STAY


def _media_prompt(ctx: FormContext) -> str:
    """The question, or, once something is attached, how many attachments there are out of how many."""
    count = len(ctx.draft.get("media") or [])
    key = "ideas.media_added" if count else "ideas.ask.media"
    return _(key).format(max=ideas_service.MEDIA_MAX, count=count)


def _media_choices(ctx: FormContext) -> list[tuple[str, str]]:
    if not ctx.draft.get("media"):
        return [(_("btn.skip"), DONE)]
    return [(_("ideas.btn.media_done"), DONE), (_("ideas.btn.media_clear"), CLEAR)]


def _media_button(raw: str, ctx: FormContext) -> Any:
    if raw == CLEAR:
        ctx.draft["media"] = []
        return STAY
    return list(ctx.draft.get("media") or [])


def _attachment(message: Message, ctx: FormContext) -> Any:
    """A photo, a document or a voice message joins the attachments; the step stays for more."""
    if message.photo:
        item = {"kind": "photo", "file_id": message.photo[-1].file_id}
    elif message.document:
        item = {"kind": "document", "file_id": message.document.file_id}
    elif message.voice:
        item = {"kind": "voice", "file_id": message.voice.file_id}
    else:
        raise ValidationFailed("ideas.hint_media", max=ideas_service.MEDIA_MAX)
    media = list(ctx.draft.get("media") or [])
    if len(media) >= ideas_service.MEDIA_MAX:
        raise ValidationFailed("ideas.media_full", n=ideas_service.MEDIA_MAX)
    ctx.draft["media"] = [*media, item]
    return STAY


FORM_STEPS = (
    _text_step("title", ideas_service.TITLE_MAX, ideas_service.clean_title),
    _text_step("problem", ideas_service.TEXT_MAX, ideas_service.clean_body),
    _text_step("description", ideas_service.TEXT_MAX, ideas_service.clean_body),
    _pick_step("district", DISTRICTS, "district."),
    _pick_step("audience", ideas_service.AUDIENCES, "ideas.aud."),
    Step(
        "help", "ideas.ask.help", choices=_help_choices, pick=_toggle_help, width=1, label="ideas.field.help"
    ),
    Step(
        "media",
        _media_prompt,
        choices=_media_choices,
        pick=_media_button,
        parse=_attachment,
        width=1,
        label="ideas.field.media",
    ),
)


async def preview(ctx: FormContext) -> str:
    """The idea as staff will see it; its attachments go above as messages of their own."""
    if ctx.draft.get("media"):
        await send_media(ctx.bot, ctx.message.chat.id, ctx.draft["media"])
    head = _("ideas.preview.resubmit" if ctx.extra.get("idea_id") else "ideas.preview.title")
    if comment := ctx.extra.get("staff_comment"):
        head += "\n" + _("ideas.preview.staff_comment").format(comment=hd.quote(comment))
    return head + "\n\n" + idea_body(ctx.draft) + "\n\n" + _("ideas.preview.hint")


def resume_at(saved: dict[str, Any]) -> str | None:
    step = saved.get("step")
    return step if step in (*STEPS, "_preview", "_fields") else None
