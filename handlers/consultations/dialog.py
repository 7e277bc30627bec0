"""/consult on the form engine: topic → question (written or spoken; documents, photos and voice
messages come with it) → organisation → format → time (only for formats that need one: not «В переписке»)
→ preview with «Отправить запрос», which files the request, posts its
card to the admin chat and gives the person its number."""

from __future__ import annotations

import html
from typing import Any

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from handlers import forms
from handlers.common import acknowledge, error_text, target
from handlers.consultations.delivery import post_card
from handlers.consultations.views import attachment, num, quote_cut
from handlers.forms import PREVIEW, Form, FormContext, Reask, Step, text_of
from keyboards.consultations import Consult, ConsultCb
from keyboards.menu import MenuAction, main_menu
from services import consultations as svc
from services import users as users_service
from services.errors import DomainError, ValidationFailed
from services.plural import plural

KEEP, NONE = "keep", "none"


def _files(ctx: FormContext) -> list[dict[str, Any]]:
    return list(ctx.draft.get("files") or [])


# --- topic and question ------------------------------------------------------------------------------------


async def topic_choices(ctx: FormContext) -> list[tuple[str, str]]:
    return [(svc.topic_title(t, ctx.user.language), str(t.id)) for t in await svc.list_topics(ctx.session)]


def question_prompt(ctx: FormContext) -> str:
    text = plural(_, "flows.consult.ask_question", svc.QUESTION_MAX, files=svc.ATTACHMENTS_MAX)
    if ctx.draft.get("question"):
        text += "\n\n" + _("consult.current_question").format(question=quote_cut(ctx.draft["question"], 1500))
    files = _files(ctx)
    if files:
        text += "\n\n" + _("flows.consult.files_so_far").format(count=len(files))
    return text


def _spoken(ctx: FormContext) -> bool:
    return any(item.get("kind") == "voice" for item in _files(ctx))


def _answered(ctx: FormContext) -> bool:
    return bool(ctx.draft.get("question")) or _spoken(ctx)


def question_choices(ctx: FormContext) -> list[tuple[str, str]]:
    """«Готово» once there is a question (written, or a voice message); the files come with it."""
    return [(_("consult.btn_keep_question"), KEEP)] if _answered(ctx) else []


def parse_question(message: Message, ctx: FormContext) -> str:
    """The question, with its files: a text is the question; a document or photo with a caption is the
    question with the file; a voice message is the question spoken (its caption, if any, the text); a
    file alone is kept and the question asked for (the step stays, with «Готово» once answered)."""
    found = attachment(message)
    if found is None:
        return svc.clean_question(text_of(message))
    files = _files(ctx)
    if len(files) >= svc.ATTACHMENTS_MAX:
        raise Reask("consult.files_full", n=svc.ATTACHMENTS_MAX)
    ctx.draft["files"] = [*files, found]
    if message.caption:
        return svc.clean_question(message.caption)
    if found["kind"] == "voice":
        return ctx.draft.get("question") or ""
    if _answered(ctx):
        raise Reask("flows.consult.file_added", count=len(files) + 1, max=svc.ATTACHMENTS_MAX)
    raise Reask("flows.consult.file_first", count=len(files) + 1)


# --- organisation --------------------------------------------------------------------------------------------


def _organisation(ctx: FormContext) -> str | None:
    return ctx.draft["org"] if "org" in ctx.draft else ctx.user.organisation


def org_prompt(ctx: FormContext) -> str:
    current = _organisation(ctx)
    text = _("consult.ask_org")
    return text + ("\n" + _("consult.org_current").format(org=html.escape(current)) if current else "")


def org_choices(ctx: FormContext) -> list[tuple[str, str]]:
    current = _organisation(ctx)
    keep = [(_("consult.btn_org_keep").format(org=current[:40]), KEEP)] if current else []
    return [*keep, (_("consult.btn_org_none"), NONE)]


# --- the preview and the request -------------------------------------------------------------------------


async def preview(ctx: FormContext) -> str:
    draft = ctx.draft
    topic = await ctx.session.get(svc.ConsultationTopic, draft.get("topic_id", 0))
    form = draft.get("format", "chat")
    files = _files(ctx)
    voices = sum(1 for item in files if item.get("kind") == "voice")
    return _("flows.consult.summary").format(
        topic=html.escape(svc.topic_title(topic, ctx.user.language)),
        question=quote_cut(draft.get("question"), 2500) or _("flows.consult.voice_question"),
        files=_("flows.consult.summary_files").format(count=len(files), voices=voices) if files else "—",
        org=html.escape(draft.get("org") or "—"),
        format=_(f"consult.format.{form}"),
        time=(
            _("flows.consult.summary_time").format(time=_(f"consult.time.{draft.get('time', 'any')}"))
            if svc.needs_time(form)
            else ""
        ),
    )


async def submit(ctx: FormContext) -> str | None:
    """«Отправить запрос»: the request, its card in the admin chat, its number to the person."""
    draft = ctx.draft
    try:
        c = await svc.create_request(
            ctx.session,
            ctx.from_id,
            topic_id=int(draft.get("topic_id", 0)),
            question=draft.get("question", ""),
            organisation=draft.get("org"),
            format=draft.get("format", ""),
            preferred_time=draft.get("time", "") if svc.needs_time(draft.get("format")) else "any",
            attachments=_files(ctx),
            open_limit=ctx.settings.consult_open_limit,
        )
    except DomainError as exc:
        if exc.key == "consult.err_too_many_open":  # nothing to fix in the form: back to the menu
            await ctx.state.clear()
            await ctx.message.answer(error_text(exc), reply_markup=main_menu())
            return None
        await ctx.message.answer(error_text(exc))
        return PREVIEW if isinstance(exc, ValidationFailed) and "topic" not in exc.key else "topic"
    await ctx.state.clear()
    await post_card(ctx.desk, c.id)
    await ctx.message.answer(_("consult.created").format(number=num(c.id)), reply_markup=main_menu())
    return None


BUTTONS = "consult.hint_buttons"
CONSULT = Form(
    name="ConsultForm",
    steps=(
        Step(
            "topic",
            "consult.ask_topic",
            choices=topic_choices,
            pick=lambda raw, ctx: int(raw),
            width=1,
            hint=BUTTONS,
            field="topic_id",
        ),
        Step(
            "question",
            question_prompt,
            choices=question_choices,
            pick=lambda raw, ctx: ctx.draft.get("question") or "",
            parse=parse_question,
            hint="flows.consult.hint_question",
            label="consult.edit_question",
        ),
        Step(
            "org",
            org_prompt,
            choices=org_choices,
            pick=lambda raw, ctx: _organisation(ctx) if raw == KEEP else None,
            parse=lambda message, ctx: users_service.clean_organisation(text_of(message)),
            width=1,
            hint="consult.hint_org",
            label="consult.edit_org",
        ),
        Step(
            "format",
            "consult.ask_format",
            choices=lambda ctx: [(_(f"consult.format.{code}"), code) for code in svc.FORMATS],
            hint=BUTTONS,
            label="consult.edit_format",
            edit_with=("time",),
        ),
        Step(
            "time",
            "consult.ask_time",
            choices=lambda ctx: [(_(f"consult.time.{code}"), code) for code in svc.TIMES],
            width=1,
            hint=BUTTONS,
            label="consult.edit_time",
            skip_if=lambda draft: not svc.needs_time(draft.get("format")),
        ),
    ),
    finish=submit,
    preview=preview,
    step_header="consult.step",
    confirms=lambda ctx: [("consult.btn_submit", "")],
)


# --- entry points ------------------------------------------------------------------------------------------


async def begin(event: Message | CallbackQuery, state: FSMContext, **data: Any) -> None:
    """/consult, «Консультация» in the main menu, or «Новый запрос» under the person's requests."""
    await acknowledge(event)
    await target(event).answer(_("consult.intro"))
    await forms.start(CONSULT, event, state, data)


def register(router: Router) -> None:
    forms.register_dialog(
        router, CONSULT, begin, "consult", MenuAction.CONSULT, ConsultCb.filter(F.action == Consult.NEW)
    )
