"""Staff checks of what people receive, in the admin chat: the next digest as a given person would see
it (from the /digest panel), and /outbox: what is due, waiting, sent and failed in the last day."""

from __future__ import annotations

import html
from dataclasses import asdict
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.models import User, UserStatus
from db.repositories.users import is_person
from handlers.broadcasts.digest import PREVIEW_LIMIT
from handlers.broadcasts.views import DigestAdmin, admin_kb, cancel_row, local_time
from handlers.common import acknowledge, target
from handlers.texts import cut_html
from keyboards.admin import AdminAction, AdminCb
from services import digest as digest_service
from services.notifications import outbox_summary


async def outbox(event: Message | CallbackQuery, session: AsyncSession, settings: Any) -> None:
    """/outbox and its «Обновить» button: what the outbox holds and what failed lately."""
    await acknowledge(event)
    s = await outbox_summary(session)
    lines = [
        _("notify.outbox").format(**asdict(s), next=local_time(s.next_due, settings) if s.next_due else "—")
    ]
    if s.by_kind:
        lines.append(_("notify.outbox_kinds"))
        lines += [f"• {html.escape(kind)}: {count}" for kind, count in sorted(s.by_kind.items())]
    if s.recent_failures:
        lines.append(_("notify.outbox_failures"))
        for kind, error, when in s.recent_failures:
            lines.append(
                f"• {local_time(when, settings)} {html.escape(kind)}: <code>{html.escape(error[:150])}</code>"
            )
    markup = admin_kb([(_("notify.btn_refresh"), AdminCb(action=AdminAction.OUTBOX))])
    await target(event).answer("\n".join(lines), reply_markup=markup)


async def send_preview(
    message: Message, session: AsyncSession, person: User, settings: Any, i18n: I18n
) -> None:
    now = utcnow()
    digest = await digest_service.build(session, person, now, settings.tz)
    name = html.escape(person.full_name or "—", quote=False)
    language = person.language or i18n.default_locale
    header = _("digest.preview_header").format(
        name=name,
        lang=language,
        state=_("digest.preview_subscribed") if person.digest_enabled else _("digest.preview_unsubscribed"),
    )
    if digest.empty:
        await message.answer(header + "\n\n" + _("digest.preview_empty"))
        return
    text, buttons = digest_service.render_in(i18n, person.language, digest, person, now, settings.tz)
    labels = " · ".join(f"[{html.escape(b['label'])}]" for row in buttons for b in row)
    body = cut_html(header + "\n\n" + text, PREVIEW_LIMIT)  # whole lines, open tags closed
    await message.answer(body)
    # the buttons are only named here: pressed in the admin chat they would act for the staff member
    await message.answer(_("digest.preview_buttons").format(buttons=labels))


# --- handlers ---------------------------------------------------------------------------------------


async def btn_preview(callback: CallbackQuery, state: FSMContext) -> None:
    await callback.answer()
    await state.set_state(DigestAdmin.preview_who)
    markup = admin_kb(
        [(_("digest.btn_preview_me"), AdminCb(action=AdminAction.DIGEST_PREVIEW_ME))], cancel_row()
    )
    await target(callback).answer(_("digest.ask_person"), reply_markup=markup)


async def got_person(
    message: Message, state: FSMContext, session: AsyncSession, settings: Any, i18n: I18n
) -> None:
    query = (message.text or "").strip()[:100]
    people = await digest_service.find_people(session, query)
    if not people:
        await message.answer(
            _("digest.person_not_found").format(query=html.escape(query, quote=False)),
            reply_markup=admin_kb(cancel_row()),
        )
        return
    if len(people) == 1:
        await state.clear()
        await send_preview(message, session, people[0], settings, i18n)
        return
    builder = InlineKeyboardBuilder()
    for person in people:
        label = f"{person.full_name or '—'}" + (f" @{person.username}" if person.username else "")
        builder.button(
            text=label[:60], callback_data=AdminCb(action=AdminAction.DIGEST_PREVIEW_PERSON, id=person.id)
        )
    builder.adjust(1)
    builder.row(*[InlineKeyboardButton(text=t, callback_data=cb.pack()) for t, cb in cancel_row()])
    await message.answer(_("digest.pick_person"), reply_markup=builder.as_markup())


async def person_not_text(message: Message) -> None:
    await message.answer(_("digest.ask_person"), reply_markup=admin_kb(cancel_row()))


async def btn_preview_person(
    callback: CallbackQuery,
    callback_data: AdminCb,
    state: FSMContext,
    session: AsyncSession,
    settings: Any,
    i18n: I18n,
) -> None:
    if callback_data.action == "dg_me":
        person = await session.scalar(select(User).where(is_person(callback.from_user.id)))
    else:
        person = await session.get(User, callback_data.id)
    if person is None or person.status != UserStatus.REGISTERED:
        await callback.answer(_("digest.person_gone"), show_alert=True)
        return
    await callback.answer()
    await state.clear()
    await send_preview(target(callback), session, person, settings, i18n)


def register(router: Router) -> None:
    button = router.callback_query.register
    button(btn_preview, AdminCb.filter(F.action == AdminAction.DIGEST_PREVIEW))
    router.message.register(got_person, DigestAdmin.preview_who, F.text)
    router.message.register(person_not_text, DigestAdmin.preview_who)
    button(
        btn_preview_person,
        AdminCb.filter(F.action.in_({AdminAction.DIGEST_PREVIEW_PERSON, AdminAction.DIGEST_PREVIEW_ME})),
    )
    router.message.register(outbox, Command("outbox"))
    button(outbox, AdminCb.filter(F.action == AdminAction.OUTBOX))
