"""The staff side of the showcase, in the admin chat: the menu (/showcase), unanswered requests,
trial-office applications (the list, «Одобрить», and what a decision shows: the application's card
updated in place, the provider told), and what the staff's inputs share (their states, «Отмена», a
write from typed text). Card moderation is in admin_moderation, whose comment-or-reason flow also
takes a trial's «Отклонить» and comes back to told_trial_declined; the catalogue is in admin_catalogue."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import timedelta
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.desk import Desk
from db.models import User
from handlers.common import error_text, or_alert, target
from handlers.messengers import tell
from handlers.showcase.views import esc, listed, trial_staff_text
from handlers.staff_acted import acted_line, edit_card
from handlers.workspace import pin_after_decision
from keyboards.showcase_staff import (
    StaffAction,
    StaffCb,
    TrialDecision,
    TrialDecisionCb,
    staff_cancel_keyboard,
    staff_menu_keyboard,
    trial_decision_keyboard,
)
from services import dates
from services import showcase as svc
from services.errors import DomainError, ValidationFailed
from services.numbers import number
from services.ports import Translator

SHOWN_AT_ONCE = 10


class StaffInput(StatesGroup):
    comment = State()  # a comment or reason for the provider
    category = State()  # a new category title (add or rename)


def on(action: StaffAction) -> Any:
    return StaffCb.filter(F.action == action)


async def show_menu(event: Message | CallbackQuery, session: AsyncSession, settings: Any) -> None:
    pending = len(await svc.pending_cards(session))
    trials = len(await svc.pending_trials(session))
    late = len(await svc.unanswered(session, timedelta(hours=settings.showcase_answer_hours)))
    await target(event).answer(
        _("showcase.adm_title"), reply_markup=staff_menu_keyboard(pending, trials, late)
    )


async def cmd_showcase(message: Message, state: FSMContext, session: AsyncSession, settings: Any) -> None:
    await state.clear()
    await show_menu(message, session, settings)


async def menu(callback: CallbackQuery, session: AsyncSession, settings: Any) -> None:
    await callback.answer()
    await show_menu(callback, session, settings)


async def late(callback: CallbackQuery, session: AsyncSession, settings: Any) -> None:
    waiting = timedelta(hours=settings.showcase_answer_hours)
    views = await listed(callback, svc.unanswered(session, waiting), "showcase.adm_unanswered_none")
    if not views:
        return
    lines = [_("showcase.unanswered_title").format(hours=settings.showcase_answer_hours)]
    for view in views[:40]:
        lines.append(
            _("showcase.unanswered_line").format(
                id=number("request", view.request.id),
                title=esc(view.card.title),
                organisation=esc(view.card.organisation),
                provider=esc(view.provider.full_name or "—"),
                at=dates.moment_text(view.request.created_at, settings.tz, _),
            )
        )
    await target(callback).answer("\n".join(lines))


async def staff_write(message: Message, state: FSMContext, write: Awaitable[Any]) -> tuple[bool, Any]:
    """A write from text staff typed (a category title): a bad text is asked again (the input stays
    open); any other refusal, or success, ends the input. Returns (written, the write's result)."""
    try:
        result = await write
    except ValidationFailed as exc:
        await message.answer(error_text(exc), reply_markup=staff_cancel_keyboard())
        return False, None
    except DomainError as exc:
        await state.clear()
        await message.answer(error_text(exc))
        return False, None
    await state.clear()
    return True, result


async def stop(callback: CallbackQuery, state: FSMContext) -> None:
    await callback.answer()
    await state.clear()
    await target(callback).edit_reply_markup(reply_markup=None)
    await target(callback).answer(_("showcase.adm_stopped"))


# --- trial office -------------------------------------------------------------------------------


def _dates(application: Any) -> tuple[str, str]:
    return dates.day_text(application.date_from, _), dates.day_text(application.date_to, _)


async def trial_acted(
    bot: Bot, chat_id: int, message_id: int | None, application: Any, user: User | None, acted: str
) -> None:
    """The trial application's card updated in place: who decided and when, no buttons."""
    await edit_card(bot, chat_id, message_id, trial_staff_text(application, user) + "\n\n" + acted)


async def told_trial_declined(
    message: Message, bot: Bot, i18n: Translator, application: Any, user: User, reason: str
) -> None:
    await message.answer(_("showcase.adm_trial_declined").format(id=number("trial", application.id)))
    start, end = _dates(application)
    text = lambda: _("showcase.trial_declined_provider").format(start=start, end=end, reason=reason)  # noqa: E731
    await tell(bot, i18n, user, text)


async def trials(callback: CallbackQuery, session: AsyncSession) -> None:
    pending = await listed(callback, svc.pending_trials(session), "showcase.adm_trials_empty")
    for application in pending[:SHOWN_AT_ONCE]:
        user = await session.get(User, application.user_id)
        await target(callback).answer(
            trial_staff_text(application, user), reply_markup=trial_decision_keyboard(application.id)
        )


async def trial_approve(callback: CallbackQuery, callback_data: TrialDecisionCb, desk: Desk) -> None:
    result = await or_alert(
        callback,
        svc.decide_trial(desk.session, callback.from_user.id, callback_data.id, True, tz=desk.settings.tz),
    )
    if result is None:
        return
    application, user = result
    await callback.answer()
    start, end = _dates(application)
    note = _("showcase.adm_trial_approved").format(
        id=number("trial", application.id), start=start, end=end, staff=esc(callback.from_user.full_name)
    )
    if application.booking_ref:
        note += "\n" + _("showcase.adm_trial_booked").format(ref=esc(application.booking_ref))
    where = target(callback)
    acted = acted_line("staff.acted.approved", callback.from_user.full_name, desk.settings)
    await trial_acted(desk.bot, where.chat.id, where.message_id, application, user, acted)
    await where.answer(note)
    await tell(
        desk.bot, desk.i18n, user, lambda: _("showcase.trial_approved_provider").format(start=start, end=end)
    )
    await pin_after_decision(desk)


def register(router: Router) -> None:
    cb, msg = router.callback_query.register, router.message.register
    msg(cmd_showcase, Command("showcase", "catalogue"))
    cb(menu, on(StaffAction.MENU))
    cb(late, on(StaffAction.LATE))
    cb(stop, on(StaffAction.STOP))
    cb(trials, on(StaffAction.TRIALS))
    cb(trial_approve, TrialDecisionCb.filter(F.action == TrialDecision.APPROVE))
