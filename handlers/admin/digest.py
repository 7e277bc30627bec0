"""Staff side of notifications, in the admin chat: news for the next digest, its preview, the outbox.

/digest: add a news item, list and remove queued items, preview the next digest as a given person
would see it. /outbox: what is due, waiting, sent, failed in the last day.
"""

from __future__ import annotations

import html
from datetime import datetime, timedelta
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.models import User, UserStatus
from handlers.common import error_text, target
from handlers.texts import cut_html, join_lines
from keyboards.admin import AdminCb
from keyboards.common import NavCb
from services import digest as digest_service
from services.errors import DomainError
from services.notifications import outbox_summary

PREVIEW_LIMIT = 4000
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class DigestAdmin(StatesGroup):
    news_text = State()
    news_confirm = State()
    preview_who = State()


def _kb(*rows: list[tuple[str, AdminCb]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=label, callback_data=cb.pack()) for label, cb in row] for row in rows
        ]
    )


def _cancel_row() -> list[tuple[str, AdminCb]]:
    return [(_("btn.back"), AdminCb(action="dg")), (_("btn.cancel"), AdminCb(action="dg_x"))]


def next_digest_at(now: datetime, settings: Any) -> datetime:
    """The next moment of the weekly digest, local time."""
    local = now.astimezone(settings.tz)
    day = DAYS.index(settings.digest_day.lower()[:3]) if settings.digest_day.lower()[:3] in DAYS else 0
    moment = local.replace(
        hour=settings.digest_time.hour, minute=settings.digest_time.minute, second=0, microsecond=0
    ) + timedelta(days=(day - local.weekday()) % 7)
    if moment <= local:
        moment += timedelta(days=7)
    return moment


async def send_panel(message: Message, session: AsyncSession, settings: Any) -> None:
    news = await digest_service.queued_news(session)
    subscribers = (
        await session.scalar(
            select(func.count())
            .select_from(User)
            .where(
                User.status == UserStatus.REGISTERED,
                User.digest_enabled.is_(True),
                User.unreachable_at.is_(None),
            )
        )
        or 0
    )
    text = _("digest.admin_panel").format(
        when=next_digest_at(utcnow(), settings).strftime("%d.%m.%Y %H:%M"),
        news=len(news),
        subscribers=subscribers,
    )
    await message.answer(
        text,
        reply_markup=_kb(
            [(_("digest.btn_add"), AdminCb(action="dg_add"))],
            [(_("digest.btn_list").format(count=len(news)), AdminCb(action="dg_list"))],
            [(_("digest.btn_preview"), AdminCb(action="dg_prev"))],
            [(_("notify.btn_outbox"), AdminCb(action="outbox"))],
        ),
    )


async def send_news_list(message: Message, session: AsyncSession, settings: Any) -> None:
    news = await digest_service.queued_news(session)
    if not news:
        await message.answer(
            _("digest.list_empty"),
            reply_markup=_kb([(_("digest.btn_add"), AdminCb(action="dg_add"))], _cancel_row()),
        )
        return
    lines = [_("digest.list_title")]
    rows: list[list[tuple[str, AdminCb]]] = []
    for number, item in enumerate(news, 1):
        short = item.text if len(item.text) <= 300 else item.text[:300] + "…"
        when = item.created_at.astimezone(settings.tz).strftime("%d.%m %H:%M")
        lines.append(f"\n<b>{number}.</b> <i>{when}</i>\n{html.escape(short, quote=False)}")
        rows.append([(_("digest.btn_remove").format(n=number), AdminCb(action="dg_del", id=item.id))])
    text = join_lines(lines, PREVIEW_LIMIT)  # whole items: a cut never splits a tag
    await message.answer(text, reply_markup=_kb(*rows[:50], _cancel_row()))


async def send_outbox(message: Message, session: AsyncSession, settings: Any) -> None:
    s = await outbox_summary(session)
    lines = [
        _("notify.outbox").format(
            overdue=s.overdue,
            later=s.later,
            claimed=s.claimed,
            sent=s.sent,
            failed=s.failed,
            dropped=s.dropped,
            cancelled=s.cancelled,
            unreachable=s.unreachable_people,
            next=s.next_due.astimezone(settings.tz).strftime("%d.%m %H:%M") if s.next_due else "—",
        )
    ]
    if s.by_kind:
        lines.append(_("notify.outbox_kinds"))
        lines += [f"• {html.escape(kind)}: {count}" for kind, count in sorted(s.by_kind.items())]
    if s.recent_failures:
        lines.append(_("notify.outbox_failures"))
        for kind, error, when in s.recent_failures:
            local = when.astimezone(settings.tz).strftime("%d.%m %H:%M")
            lines.append(f"• {local} {html.escape(kind)}: <code>{html.escape(error[:150])}</code>")
    await message.answer(
        "\n".join(lines), reply_markup=_kb([(_("notify.btn_refresh"), AdminCb(action="outbox"))])
    )


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


def create_router() -> Router:
    router = Router(name="admin-digest")

    @router.message(Command("digest"))
    async def cmd_digest(message: Message, state: FSMContext, session: AsyncSession, settings: Any) -> None:
        await state.clear()
        await send_panel(message, session, settings)

    @router.callback_query(AdminCb.filter(F.action == "dg"))
    async def btn_panel(
        callback: CallbackQuery, state: FSMContext, session: AsyncSession, settings: Any
    ) -> None:
        await callback.answer()
        await state.clear()
        await send_panel(target(callback), session, settings)

    @router.callback_query(AdminCb.filter(F.action == "dg_x"))
    async def btn_cancel(callback: CallbackQuery, state: FSMContext) -> None:
        await state.clear()
        await callback.answer()
        await target(callback).answer(_("common.cancelled"))

    @router.message(StateFilter(DigestAdmin), Command("cancel"))
    async def cmd_cancel(message: Message, state: FSMContext) -> None:
        await state.clear()
        await message.answer(_("common.cancelled"))

    @router.callback_query(StateFilter(DigestAdmin), NavCb.filter())
    async def nav(
        callback: CallbackQuery, callback_data: NavCb, state: FSMContext, session: AsyncSession, settings: Any
    ) -> None:
        await state.clear()
        await callback.answer()
        if callback_data.action == "back":
            await send_panel(target(callback), session, settings)
        else:
            await target(callback).answer(_("common.cancelled"))

    # --- news -----------------------------------------------------------------------------------

    @router.callback_query(AdminCb.filter(F.action == "dg_add"))
    async def btn_add(callback: CallbackQuery, state: FSMContext) -> None:
        await callback.answer()
        data = await state.get_data()
        await state.set_state(DigestAdmin.news_text)
        prompt = _("digest.ask_news").format(max=digest_service.NEWS_MAX)
        if data.get("news"):
            prompt += "\n\n" + _("digest.news_current").format(text=html.escape(data["news"], quote=False))
        await target(callback).answer(prompt, reply_markup=_kb(_cancel_row()))

    @router.message(DigestAdmin.news_text, F.text)
    async def got_news(message: Message, state: FSMContext) -> None:
        try:
            text = digest_service.clean_news(message.text)
        except DomainError as exc:
            await message.answer(error_text(exc), reply_markup=_kb(_cancel_row()))
            return
        await state.update_data(news=text)
        await state.set_state(DigestAdmin.news_confirm)
        await message.answer(
            _("digest.confirm_news").format(text=html.escape(text, quote=False)),
            reply_markup=_kb(
                [(_("digest.btn_save"), AdminCb(action="dg_save"))],
                [(_("digest.btn_edit"), AdminCb(action="dg_add"))],
                _cancel_row(),
            ),
        )

    @router.message(DigestAdmin.news_text)
    async def got_not_text(message: Message) -> None:
        await message.answer(_("digest.news_text_only"), reply_markup=_kb(_cancel_row()))

    @router.message(DigestAdmin.news_confirm)
    async def confirm_typed(message: Message) -> None:
        await message.answer(_("digest.use_buttons"))

    @router.callback_query(AdminCb.filter(F.action == "dg_save"))
    async def btn_save(
        callback: CallbackQuery, state: FSMContext, session: AsyncSession, settings: Any
    ) -> None:
        data = await state.get_data()
        text = data.get("news")
        if await state.get_state() != DigestAdmin.news_confirm.state or not text:
            await callback.answer(_("common.stale_button"), show_alert=True)
            return
        try:
            await digest_service.add_news(session, callback.from_user.id, text)
        except DomainError as exc:
            await callback.answer(error_text(exc), show_alert=True)
            return
        await state.clear()
        await callback.answer(_("digest.news_added"))
        await target(callback).answer(_("digest.news_added"))
        await send_panel(target(callback), session, settings)

    @router.callback_query(AdminCb.filter(F.action == "dg_list"))
    async def btn_list(
        callback: CallbackQuery, state: FSMContext, session: AsyncSession, settings: Any
    ) -> None:
        await callback.answer()
        await state.clear()
        await send_news_list(target(callback), session, settings)

    @router.callback_query(AdminCb.filter(F.action == "dg_del"))
    async def btn_remove(callback: CallbackQuery, callback_data: AdminCb) -> None:
        await callback.answer()
        await target(callback).answer(
            _("digest.confirm_remove"),
            reply_markup=_kb(
                [
                    (_("btn.yes"), AdminCb(action="dg_delok", id=callback_data.id)),
                    (_("btn.no"), AdminCb(action="dg_list")),
                ]
            ),
        )

    @router.callback_query(AdminCb.filter(F.action == "dg_delok"))
    async def btn_remove_ok(
        callback: CallbackQuery, callback_data: AdminCb, session: AsyncSession, settings: Any
    ) -> None:
        try:
            await digest_service.remove_news(session, callback.from_user.id, callback_data.id)
        except DomainError as exc:
            await callback.answer(error_text(exc), show_alert=True)
            return
        await callback.answer(_("digest.news_removed"))
        await target(callback).answer(_("digest.news_removed"))
        await send_news_list(target(callback), session, settings)

    # --- preview -----------------------------------------------------------------------------------

    @router.callback_query(AdminCb.filter(F.action == "dg_prev"))
    async def btn_preview(callback: CallbackQuery, state: FSMContext) -> None:
        await callback.answer()
        await state.set_state(DigestAdmin.preview_who)
        await target(callback).answer(
            _("digest.ask_person"),
            reply_markup=_kb([(_("digest.btn_preview_me"), AdminCb(action="dg_me"))], _cancel_row()),
        )

    @router.message(DigestAdmin.preview_who, F.text)
    async def got_person(
        message: Message, state: FSMContext, session: AsyncSession, settings: Any, i18n: I18n
    ) -> None:
        query = (message.text or "").strip()[:100]
        people = await digest_service.find_people(session, query)
        if not people:
            await message.answer(
                _("digest.person_not_found").format(query=html.escape(query, quote=False)),
                reply_markup=_kb(_cancel_row()),
            )
            return
        if len(people) == 1:
            await state.clear()
            await send_preview(message, session, people[0], settings, i18n)
            return
        builder = InlineKeyboardBuilder()
        for person in people:
            label = f"{person.full_name or '—'}" + (f" @{person.username}" if person.username else "")
            builder.button(text=label[:60], callback_data=AdminCb(action="dg_pv", id=person.id))
        builder.adjust(1)
        builder.row(*[InlineKeyboardButton(text=t, callback_data=cb.pack()) for t, cb in _cancel_row()])
        await message.answer(_("digest.pick_person"), reply_markup=builder.as_markup())

    @router.message(DigestAdmin.preview_who)
    async def person_not_text(message: Message) -> None:
        await message.answer(_("digest.ask_person"), reply_markup=_kb(_cancel_row()))

    @router.callback_query(AdminCb.filter(F.action.in_({"dg_pv", "dg_me"})))
    async def btn_preview_person(
        callback: CallbackQuery,
        callback_data: AdminCb,
        state: FSMContext,
        session: AsyncSession,
        settings: Any,
        i18n: I18n,
    ) -> None:
        if callback_data.action == "dg_me":
            person = await session.scalar(select(User).where(User.tg_id == callback.from_user.id))
        else:
            person = await session.get(User, callback_data.id)
        if person is None or person.status != UserStatus.REGISTERED:
            await callback.answer(_("digest.person_gone"), show_alert=True)
            return
        await callback.answer()
        await state.clear()
        await send_preview(target(callback), session, person, settings, i18n)

    # --- the outbox ---------------------------------------------------------------------------------

    @router.message(Command("outbox"))
    async def cmd_outbox(message: Message, session: AsyncSession, settings: Any) -> None:
        await send_outbox(message, session, settings)

    @router.callback_query(AdminCb.filter(F.action == "outbox"))
    async def btn_outbox(callback: CallbackQuery, session: AsyncSession, settings: Any) -> None:
        await callback.answer()
        await send_outbox(target(callback), session, settings)

    return router
