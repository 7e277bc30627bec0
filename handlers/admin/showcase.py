"""The staff side of the showcase, in the admin chat: moderation of cards (publish, return with a
comment, decline with a reason), trial-office applications, providers and their cards, the category
list, and the figures. Every id from a button is checked against the object's current state."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import User
from db.models.showcase import CardStatus, ServiceCard
from handlers.common import error_text, target
from handlers.showcase import card_text_for, esc, notify, send_card
from keyboards.admin import AdminCb
from keyboards.common import parse_id
from keyboards.showcase import (
    CardCb,
    card_status_label,
    category_admin_keyboard,
    expo_events_keyboard,
    moderation_keyboard,
    staff_cancel_keyboard,
    staff_card_keyboard,
    staff_list_keyboard,
    staff_menu_keyboard,
    trial_decision_keyboard,
)
from services import showcase as svc
from services.errors import DomainError, ValidationFailed

log = logging.getLogger(__name__)


class StaffInput(StatesGroup):
    comment = State()  # a comment or reason for the provider
    category = State()  # a new category title (add or rename)


async def show_menu(event: Message | CallbackQuery, session: AsyncSession, settings: Any) -> None:
    pending = len(await svc.pending_cards(session))
    trials = len(await svc.pending_trials(session))
    late = len(await svc.unanswered(session, timedelta(hours=settings.showcase_answer_hours)))
    await target(event).answer(
        _("showcase.adm_title"), reply_markup=staff_menu_keyboard(pending, trials, late)
    )


async def _mark_done(callback: CallbackQuery, note: str) -> None:
    """Take the buttons off the moderated message and say what happened under it."""
    message = target(callback)
    try:
        await message.edit_reply_markup(reply_markup=None)
    except Exception:  # an old message may not be editable; the note below still goes
        log.debug("could not edit the moderation message", exc_info=True)
    await message.answer(note)


def create_router() -> Router:
    router = Router(name="admin-showcase")

    @router.message(Command("showcase"))
    async def cmd_showcase(message: Message, state: FSMContext, session: AsyncSession, settings: Any) -> None:
        await state.clear()
        await show_menu(message, session, settings)

    @router.callback_query(AdminCb.filter(F.action == "sc_menu"))
    async def menu(callback: CallbackQuery, session: AsyncSession, settings: Any) -> None:
        await callback.answer()
        await show_menu(callback, session, settings)

    @router.callback_query(AdminCb.filter(F.action == "sc_late"))
    async def late(callback: CallbackQuery, session: AsyncSession, settings: Any) -> None:
        await callback.answer()
        views = await svc.unanswered(session, timedelta(hours=settings.showcase_answer_hours))
        if not views:
            await target(callback).answer(_("showcase.adm_unanswered_none"))
            return
        lines = [_("showcase.unanswered_title").format(hours=settings.showcase_answer_hours)]
        for view in views[:40]:
            lines.append(
                _("showcase.unanswered_line").format(
                    id=view.request.id,
                    title=esc(view.card.title),
                    organisation=esc(view.card.organisation),
                    provider=esc(view.provider.full_name or "—"),
                    at=view.request.created_at.astimezone(settings.tz).strftime("%d.%m %H:%M"),
                )
            )
        await target(callback).answer("\n".join(lines))

    # --- moderation -----------------------------------------------------------------------------

    @router.callback_query(AdminCb.filter(F.action == "sc_queue"))
    async def queue(callback: CallbackQuery, session: AsyncSession, bot: Bot, settings: Any) -> None:
        await callback.answer()
        cards = await svc.pending_cards(session)
        if not cards:
            await target(callback).answer(_("showcase.adm_queue_empty"))
            return
        for card in cards[:10]:
            provider = await session.get(User, card.provider_id)
            header = _("showcase.mod_new").format(
                id=card.id,
                name=esc(provider.full_name if provider else None),
                organisation=esc(provider.organisation if provider else None),
            )
            text = header + "\n\n" + await card_text_for(session, card, settings.default_locale)
            await send_card(bot, target(callback).chat.id, card, text, moderation_keyboard(card.id))
        if len(cards) > 10:
            await target(callback).answer(_("showcase.adm_queue_more").format(count=len(cards) - 10))

    @router.callback_query(AdminCb.filter(F.action == "sc_pub"))
    async def publish(
        callback: CallbackQuery, callback_data: AdminCb, session: AsyncSession, bot: Bot, i18n: I18n
    ) -> None:
        try:
            card, provider = await svc.moderate(session, callback.from_user.id, callback_data.id, "publish")
        except DomainError as exc:
            await callback.answer(error_text(exc), show_alert=True)
            return
        await callback.answer()
        await _mark_done(
            callback,
            _("showcase.adm_published").format(
                id=card.id, title=esc(card.title), staff=esc(callback.from_user.full_name)
            ),
        )
        title = esc(card.title)
        await notify(
            bot,
            i18n,
            provider,
            lambda: _("showcase.published_provider").format(title=title),
            lambda: InlineKeyboardMarkup(
                inline_keyboard=[
                    [
                        InlineKeyboardButton(
                            text=_("showcase.btn_open_card"),
                            callback_data=CardCb(a="open", id=card.id).pack(),
                        )
                    ]
                ]
            ),
        )

    @router.callback_query(AdminCb.filter(F.action.in_({"sc_ret", "sc_dec", "sc_tno"})))
    async def ask_comment(
        callback: CallbackQuery, callback_data: AdminCb, state: FSMContext, session: AsyncSession
    ) -> None:
        if callback_data.action == "sc_tno":
            trials = {t.id for t in await svc.pending_trials(session)}
            if callback_data.id not in trials:
                await callback.answer(_("showcase.already_moderated"), show_alert=True)
                return
            prompt = _("showcase.adm_ask_trial_reason").format(id=callback_data.id)
        else:
            card = await svc.card(session, callback_data.id)
            if card is None or card.status != CardStatus.PENDING:
                await callback.answer(_("showcase.already_moderated"), show_alert=True)
                return
            key = (
                "showcase.adm_ask_return" if callback_data.action == "sc_ret" else "showcase.adm_ask_decline"
            )
            prompt = _(key).format(id=card.id, title=esc(card.title))
        await callback.answer()
        await state.set_state(StaffInput.comment)
        await state.update_data(sc_action=callback_data.action, sc_id=callback_data.id)
        await target(callback).answer(prompt, reply_markup=staff_cancel_keyboard())

    @router.message(StaffInput.comment, F.text, ~F.text.startswith("/"))
    async def comment(
        message: Message,
        state: FSMContext,
        session: AsyncSession,
        bot: Bot,
        i18n: I18n,
        settings: Any,
    ) -> None:
        assert message.from_user is not None
        data = await state.get_data()
        action, object_id = data.get("sc_action"), int(data.get("sc_id") or 0)
        try:
            if action == "sc_tno":
                application, user = await svc.decide_trial(
                    session, message.from_user.id, object_id, False, message.text, tz=settings.tz
                )
            else:
                card, provider = await svc.moderate(
                    session,
                    message.from_user.id,
                    object_id,
                    "return" if action == "sc_ret" else "decline",
                    message.text,
                )
        except ValidationFailed as exc:
            await message.answer(error_text(exc), reply_markup=staff_cancel_keyboard())
            return
        except DomainError as exc:
            await state.clear()
            await message.answer(error_text(exc))
            return
        await state.clear()
        reason = esc(svc.clean_comment(message.text))
        if action == "sc_tno":
            await message.answer(_("showcase.adm_trial_declined").format(id=application.id))
            start, end = application.date_from.strftime("%d.%m.%Y"), application.date_to.strftime("%d.%m.%Y")
            await notify(
                bot,
                i18n,
                user,
                lambda: _("showcase.trial_declined_provider").format(start=start, end=end, reason=reason),
            )
            return
        title = esc(card.title)
        if action == "sc_ret":
            await message.answer(_("showcase.adm_returned").format(id=card.id, title=title))
            key = "showcase.returned_provider"
        else:
            await message.answer(_("showcase.adm_declined").format(id=card.id, title=title))
            key = "showcase.declined_provider"
        await notify(
            bot,
            i18n,
            provider,
            lambda: _(key).format(title=title, reason=reason),
            (
                lambda: InlineKeyboardMarkup(
                    inline_keyboard=[
                        [
                            InlineKeyboardButton(
                                text=_("showcase.btn_open_card"),
                                callback_data=CardCb(a="open", id=card.id).pack(),
                            )
                        ]
                    ]
                )
            )
            if action == "sc_ret"
            else None,
        )

    @router.message(StaffInput.comment, ~F.text.startswith("/"))
    async def comment_wrong(message: Message) -> None:
        await message.answer(_("showcase.adm_text_please"), reply_markup=staff_cancel_keyboard())

    @router.callback_query(AdminCb.filter(F.action == "sc_stop"))
    async def stop(callback: CallbackQuery, state: FSMContext) -> None:
        await callback.answer()
        await state.clear()
        await target(callback).edit_reply_markup(reply_markup=None)
        await target(callback).answer(_("showcase.adm_stopped"))

    # --- trial office ---------------------------------------------------------------------------

    @router.callback_query(AdminCb.filter(F.action == "sc_trials"))
    async def trials(callback: CallbackQuery, session: AsyncSession) -> None:
        await callback.answer()
        pending = await svc.pending_trials(session)
        if not pending:
            await target(callback).answer(_("showcase.adm_trials_empty"))
            return
        for application in pending[:10]:
            user = await session.get(User, application.user_id)
            await target(callback).answer(
                _("showcase.trial_staff").format(
                    id=application.id,
                    name=esc(user.full_name if user else None),
                    organisation=esc(application.organisation),
                    start=application.date_from.strftime("%d.%m.%Y"),
                    end=application.date_to.strftime("%d.%m.%Y"),
                    purpose=esc(application.purpose),
                ),
                reply_markup=trial_decision_keyboard(application.id),
            )

    @router.callback_query(AdminCb.filter(F.action == "sc_tok"))
    async def trial_approve(
        callback: CallbackQuery,
        callback_data: AdminCb,
        session: AsyncSession,
        bot: Bot,
        i18n: I18n,
        settings: Any,
    ) -> None:
        try:
            application, user = await svc.decide_trial(
                session, callback.from_user.id, callback_data.id, True, tz=settings.tz
            )
        except DomainError as exc:
            await callback.answer(error_text(exc), show_alert=True)
            return
        await callback.answer()
        start, end = application.date_from.strftime("%d.%m.%Y"), application.date_to.strftime("%d.%m.%Y")
        await _mark_done(
            callback,
            _("showcase.adm_trial_approved").format(
                id=application.id, start=start, end=end, staff=esc(callback.from_user.full_name)
            )
            + (
                "\n" + _("showcase.adm_trial_booked").format(ref=esc(application.booking_ref))
                if application.booking_ref
                else ""
            ),
        )
        await notify(
            bot, i18n, user, lambda: _("showcase.trial_approved_provider").format(start=start, end=end)
        )

    # --- providers and their cards --------------------------------------------------------------

    @router.callback_query(AdminCb.filter(F.action == "sc_provs"))
    async def providers(callback: CallbackQuery, session: AsyncSession) -> None:
        await callback.answer()
        rows = await svc.providers(session)
        if not rows:
            await target(callback).answer(_("showcase.adm_no_providers"))
            return
        lines = [_("showcase.adm_providers_title")]
        items = []
        for row in rows[:40]:
            published = row.counts.get(CardStatus.PUBLISHED, 0)
            total = sum(count for status, count in row.counts.items() if status != CardStatus.REMOVED)
            lines.append(
                _("showcase.adm_provider_line").format(
                    organisation=esc(row.user.organisation or "—"),
                    name=esc(row.user.full_name or "—"),
                    published=published,
                    total=total,
                )
            )
            items.append((row.user.id, (row.user.organisation or row.user.full_name or "—")[:40]))
        await target(callback).answer("\n".join(lines), reply_markup=staff_list_keyboard(items, "sc_prov"))

    @router.callback_query(AdminCb.filter(F.action == "sc_prov"))
    async def provider_cards(callback: CallbackQuery, callback_data: AdminCb, session: AsyncSession) -> None:
        await callback.answer()
        cards = await svc.cards_of(session, callback_data.id)
        if not cards:
            await target(callback).answer(_("showcase.adm_no_cards"))
            return
        items = [
            (card.id, f"№{card.id} {card.title[:30]} · {card_status_label(card.status)}")
            for card in cards[:40]
        ]
        await target(callback).answer(
            _("showcase.adm_cards_title"), reply_markup=staff_list_keyboard(items, "sc_card")
        )

    @router.callback_query(AdminCb.filter(F.action == "sc_card"))
    async def staff_card(
        callback: CallbackQuery, callback_data: AdminCb, session: AsyncSession, bot: Bot, settings: Any
    ) -> None:
        card = await svc.card(session, callback_data.id)
        if card is None:
            await callback.answer(_("showcase.card_gone"), show_alert=True)
            return
        await callback.answer()
        await send_staff_card(callback, session, bot, settings, card)

    async def send_staff_card(
        event: Message | CallbackQuery, session: AsyncSession, bot: Bot, settings: Any, card: ServiceCard
    ) -> None:
        text = await card_text_for(
            session, card, settings.default_locale, status=True, tz=settings.tz, published_events_only=False
        )
        linked = await svc.events_for_card(session, card.id, published_only=False)
        markup = staff_card_keyboard(card.id, card.status, [(e.id, e.title) for e in linked])
        await send_card(bot, target(event).chat.id, card, f"№{card.id}\n" + text, markup)

    @router.callback_query(AdminCb.filter(F.action == "sc_expo"))
    async def expo_pick(
        callback: CallbackQuery, callback_data: AdminCb, session: AsyncSession, settings: Any
    ) -> None:
        card = await svc.card(session, callback_data.id)
        if card is None or card.status != CardStatus.PUBLISHED:
            await callback.answer(_("showcase.expo_not_published"), show_alert=True)
            return
        events = await svc.expo_events(session)
        await callback.answer()
        if not events:
            await target(callback).answer(_("showcase.adm_expo_no_events"))
            return
        items = [(e.id, f"{e.starts_at.astimezone(settings.tz):%d.%m} {e.title}") for e in events]
        await target(callback).answer(
            _("showcase.adm_expo_pick").format(title=esc(card.title)),
            reply_markup=expo_events_keyboard(card.id, items),
        )

    @router.callback_query(AdminCb.filter(F.action.startswith("sc_exl_") | F.action.startswith("sc_exu_")))
    async def expo_link(
        callback: CallbackQuery, callback_data: AdminCb, session: AsyncSession, bot: Bot, settings: Any
    ) -> None:
        raw = callback_data.action[len("sc_exl_") :]
        card_id = parse_id(raw)
        if card_id is None:
            await callback.answer(_("showcase.card_gone"), show_alert=True)
            return
        link = callback_data.action.startswith("sc_exl_")
        try:
            if link:
                await svc.link_to_event(session, callback.from_user.id, card_id, callback_data.id)
            else:
                await svc.unlink_from_event(session, callback.from_user.id, card_id, callback_data.id)
        except DomainError as exc:
            await callback.answer(error_text(exc), show_alert=True)
            return
        await callback.answer(_("showcase.adm_expo_linked") if link else _("showcase.adm_expo_unlinked"))
        card = await svc.card(session, card_id)
        if card is not None:
            await send_staff_card(callback, session, bot, settings, card)

    # --- categories -----------------------------------------------------------------------------

    async def show_categories(event: Message | CallbackQuery, session: AsyncSession) -> None:
        items = [
            (cat.id, cat.title_ru + ("" if cat.active else " " + _("showcase.adm_hidden")))
            for cat in await svc.categories(session, active_only=False)
        ]
        markup = staff_list_keyboard(items, "sc_cat")
        markup.inline_keyboard.insert(
            len(markup.inline_keyboard) - 1,
            [
                InlineKeyboardButton(
                    text=_("showcase.adm_cat_add"), callback_data=AdminCb(action="sc_catadd").pack()
                )
            ],
        )
        await target(event).answer(_("showcase.adm_categories_title"), reply_markup=markup)

    @router.callback_query(AdminCb.filter(F.action == "sc_cats"))
    async def categories(callback: CallbackQuery, session: AsyncSession) -> None:
        await callback.answer()
        await show_categories(callback, session)

    @router.callback_query(AdminCb.filter(F.action == "sc_cat"))
    async def category(callback: CallbackQuery, callback_data: AdminCb, session: AsyncSession) -> None:
        cat = await svc.category(session, callback_data.id)
        if cat is None:
            await callback.answer(_("showcase.card_gone"), show_alert=True)
            return
        await callback.answer()
        await target(callback).answer(
            _("showcase.adm_category").format(
                title=esc(cat.title_ru),
                state=_("showcase.adm_shown") if cat.active else _("showcase.adm_hidden"),
            ),
            reply_markup=category_admin_keyboard(cat.id, cat.active),
        )

    @router.callback_query(AdminCb.filter(F.action == "sc_cattog"))
    async def category_toggle(callback: CallbackQuery, callback_data: AdminCb, session: AsyncSession) -> None:
        try:
            cat = await svc.toggle_category(session, callback.from_user.id, callback_data.id)
        except DomainError as exc:
            await callback.answer(error_text(exc), show_alert=True)
            return
        await callback.answer(_("showcase.adm_shown") if cat.active else _("showcase.adm_hidden"))
        await show_categories(callback, session)

    @router.callback_query(AdminCb.filter(F.action.in_({"sc_catren", "sc_catadd"})))
    async def category_ask(callback: CallbackQuery, callback_data: AdminCb, state: FSMContext) -> None:
        await callback.answer()
        await state.set_state(StaffInput.category)
        await state.update_data(sc_cat=callback_data.id if callback_data.action == "sc_catren" else 0)
        await target(callback).answer(
            _("showcase.adm_ask_category").format(max=svc.CATEGORY_MAX), reply_markup=staff_cancel_keyboard()
        )

    @router.message(StaffInput.category, F.text, ~F.text.startswith("/"))
    async def category_title(message: Message, state: FSMContext, session: AsyncSession) -> None:
        assert message.from_user is not None
        category_id = int((await state.get_data()).get("sc_cat") or 0)
        try:
            if category_id:
                await svc.rename_category(session, message.from_user.id, category_id, message.text or "")
            else:
                await svc.add_category(session, message.from_user.id, message.text or "")
        except ValidationFailed as exc:
            await message.answer(error_text(exc), reply_markup=staff_cancel_keyboard())
            return
        except DomainError as exc:
            await state.clear()
            await message.answer(error_text(exc))
            return
        await state.clear()
        await message.answer(_("showcase.adm_category_saved"))
        await show_categories(message, session)

    @router.message(StaffInput.category, ~F.text.startswith("/"))
    async def category_wrong(message: Message) -> None:
        await message.answer(_("showcase.adm_text_please"), reply_markup=staff_cancel_keyboard())

    # --- figures --------------------------------------------------------------------------------

    @router.callback_query(AdminCb.filter(F.action == "sc_figs"))
    async def figures(callback: CallbackQuery, session: AsyncSession) -> None:
        await callback.answer()
        data = await svc.figures(session)
        await target(callback).answer(
            _("showcase.adm_figures_text").format(
                published=data.published,
                providers=data.providers,
                requests=data.requests,
                done=data.done,
                served=data.residents_served,
                rating=f"{data.rating_avg:.1f}" if data.rating_avg is not None else "—",
                ratings=data.ratings,
            )
        )

    return router
