"""The digest-news dialog on the form engine (admin chat): the text of a news item, then a preview to
add it to the next digest («Изменить текст» asks for the text again, keeping what was typed)."""

from __future__ import annotations

import html
from typing import Any

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from handlers import forms
from handlers.broadcasts.digest import send_panel
from handlers.forms import FormContext, Step, text_of
from handlers.staff_forms import staff_chat_form
from keyboards.admin import AdminAction, AdminCb
from services import digest as digest_service
from services.plural import plural


def _prompt(ctx: FormContext) -> str:
    prompt = plural(_, "digest.ask_news", digest_service.NEWS_MAX)
    if ctx.draft.get("text"):
        prompt += "\n\n" + _("digest.news_current").format(text=html.escape(ctx.draft["text"], quote=False))
    return prompt


def _parse(message: Message, ctx: FormContext) -> str:
    return digest_service.clean_news(text_of(message))


def _preview(ctx: FormContext) -> str:
    return _("digest.confirm_news").format(text=html.escape(ctx.draft.get("text") or "", quote=False))


async def _add(ctx: FormContext) -> str | None:
    await digest_service.add_news(ctx.session, ctx.from_id, ctx.draft["text"])
    await ctx.state.clear()
    await ctx.message.answer(_("digest.news_added"))
    await send_panel(ctx.message, ctx.session, ctx.settings)
    return None


async def _back_to_panel(ctx: FormContext) -> None:
    await send_panel(ctx.message, ctx.session, ctx.settings)


NEWS = staff_chat_form(
    name="dgn",
    steps=(
        Step(
            "text",
            _prompt,
            parse=_parse,
            hint="digest.news_text_only",
            label="digest.btn_edit",
        ),
    ),
    finish=_add,
    preview=_preview,
    on_exit=_back_to_panel,
    confirms=lambda ctx: [("digest.btn_save", "")],
    edit_label="digest.btn_edit",
)


async def btn_add(callback: CallbackQuery, state: FSMContext, **data: Any) -> None:
    await callback.answer()
    await forms.start(NEWS, callback, state, {**data, "state": state})


def register(router: Router) -> None:
    router.callback_query.register(btn_add, AdminCb.filter(F.action == AdminAction.DIGEST_ADD))
    router.include_router(forms.router_for(NEWS))
