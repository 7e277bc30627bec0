"""Card moderation in the admin chat: the queue, «Опубликовать», «Вернуть» with a comment and
«Отклонить» with a reason. The comment-or-reason flow (ready-made reasons, «Своя причина», a reply to
the bot's prompt) also takes a trial-office application's refusal. Every id from a button is checked
against the object's current state."""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.desk import Desk
from db.models import User
from db.models.showcase import CardStatus
from handlers.common import error_text, or_alert, target
from handlers.messengers import tell
from handlers.pressed import found_or_alert
from handlers.showcase.admin import SHOWN_AT_ONCE, on, told_trial_declined, trial_acted
from handlers.showcase.views import card_text_for, esc, listed, open_card_markup, send_card
from handlers.staff_acted import acted_line, edit_card
from handlers.staff_input import ReplyToPrompt, ask_reply
from handlers.workspace import pin_after_decision
from keyboards.admin import ReasonAction, ReasonCb, reasons_keyboard
from keyboards.showcase_staff import (
    CardDecision,
    CardDecisionCb,
    StaffAction,
    TrialDecision,
    TrialDecisionCb,
    moderation_keyboard,
)
from services import showcase as svc
from services.errors import DomainError, ValidationFailed
from services.numbers import number
from services.ports import Translator

log = logging.getLogger(__name__)


async def _moderation_text(session: AsyncSession, card: Any, provider: User | None, locale: str) -> str:
    """The moderation card: who offers it, then the card as residents would see it."""
    header = _("showcase.mod_new").format(
        id=number("card", card.id),
        name=esc(provider.full_name if provider else None),
        organisation=esc(provider.organisation if provider else None),
    )
    return header + "\n\n" + await card_text_for(session, card, locale)


async def card_acted(
    desk: Desk, chat_id: int, message_id: int | None, card: Any, provider: User | None, acted: str
) -> None:
    """The moderation card updated in place: the card as it is now, who decided and when, no buttons."""
    text = await _moderation_text(desk.session, card, provider, desk.settings.default_locale) + "\n\n" + acted
    await edit_card(desk.bot, chat_id, message_id, text)


async def queue(callback: CallbackQuery, desk: Desk) -> None:
    cards = await listed(callback, svc.pending_cards(desk.session), "showcase.adm_queue_empty")
    for card in cards[:SHOWN_AT_ONCE]:
        provider = await desk.session.get(User, card.provider_id)
        text = await _moderation_text(desk.session, card, provider, desk.settings.default_locale)
        await send_card(desk.bot, target(callback).chat.id, card, text, moderation_keyboard(card.id))
    if len(cards) > SHOWN_AT_ONCE:
        await target(callback).answer(_("showcase.adm_queue_more").format(count=len(cards) - SHOWN_AT_ONCE))


async def publish(callback: CallbackQuery, callback_data: CardDecisionCb, desk: Desk) -> None:
    result = await or_alert(
        callback, svc.moderate(desk.session, callback.from_user.id, callback_data.id, "publish")
    )
    if result is None:
        return
    card, provider = result
    await callback.answer()
    title = esc(card.title)
    staff = esc(callback.from_user.full_name)
    where = target(callback)
    acted = acted_line("staff.acted.published", callback.from_user.full_name, desk.settings)
    await card_acted(desk, where.chat.id, where.message_id, card, provider, acted)
    await where.answer(
        _("showcase.adm_published").format(id=number("card", card.id), title=title, staff=staff)
    )
    await tell(
        desk.bot,
        desk.i18n,
        provider,
        lambda: _("showcase.published_provider").format(title=title),
        lambda: open_card_markup(card.id),
    )
    await pin_after_decision(desk)


RETURN, DECLINE, TRIAL_DECLINE = "sc_ret", "sc_dec", "sc_tno"
CODE_OF = {CardDecision.RETURN: RETURN, CardDecision.DECLINE: DECLINE, TrialDecision.DECLINE: TRIAL_DECLINE}
PRESETS = {
    DECLINE: ["staff.reason.not_social", "staff.reason.details", "staff.reason.documents"],
    TRIAL_DECLINE: ["staff.reason.trial_busy", "staff.reason.documents"],
}


async def _comment_prompt(code: str, object_id: int, session: AsyncSession) -> str | None:
    """What staff are asked for, or None when the card or application is already decided."""
    if code == TRIAL_DECLINE:
        if object_id not in {t.id for t in await svc.pending_trials(session)}:
            return None
        return _("showcase.adm_ask_trial_reason").format(id=number("trial", object_id))
    card = await svc.card(session, object_id)
    if card is None or card.status != CardStatus.PENDING:
        return None
    key = "showcase.adm_ask_return" if code == RETURN else "showcase.adm_ask_decline"
    return _(key).format(id=number("card", card.id), title=esc(card.title))


async def ask_comment(
    callback: CallbackQuery,
    callback_data: CardDecisionCb | TrialDecisionCb,
    state: FSMContext,
    session: AsyncSession,
) -> None:
    """«Вернуть»: a comment, as a reply to the bot's prompt; «Отклонить»: ready-made reasons and
    «Своя причина» (a reply too) — never the staff member's next ordinary message."""
    code = CODE_OF[callback_data.action]
    prompt = await found_or_alert(
        callback, await _comment_prompt(code, callback_data.id, session), "showcase.already_moderated"
    )
    if prompt is None:
        return
    card = target(callback).message_id  # updated in place once decided
    if code in PRESETS:
        await target(callback).answer(
            prompt + "\n" + _("staff.reason.pick"),
            reply_markup=reasons_keyboard(code, callback_data.id, PRESETS[code], card=card),
        )
        return
    await ask_reply(target(callback), state, code, callback_data.id, prompt, card=card)


async def reason_picked(callback: CallbackQuery, callback_data: ReasonCb, desk: Desk) -> None:
    presets = PRESETS.get(callback_data.f, [])
    if callback_data.r >= len(presets):
        await callback.answer(_("common.stale_button"), show_alert=True)
        return
    still_open = await _comment_prompt(callback_data.f, callback_data.id, desk.session)
    if await found_or_alert(callback, still_open, "showcase.already_moderated") is None:
        return
    try:
        await target(callback).edit_reply_markup(reply_markup=None)
    except Exception:  # an old message may not be editable; the decision still goes
        log.debug("could not edit the reasons message", exc_info=True)
    text = _(presets[callback_data.r], locale=desk.settings.default_locale)
    await decide(
        target(callback),
        callback.from_user,
        callback_data.f,
        callback_data.id,
        text,
        desk,
        card_id=callback_data.c or None,
    )


async def reason_own(
    callback: CallbackQuery, callback_data: ReasonCb, state: FSMContext, session: AsyncSession
) -> None:
    kind = "trial" if callback_data.f == TRIAL_DECLINE else "card"
    still_open = await _comment_prompt(callback_data.f, callback_data.id, session)
    if await found_or_alert(callback, still_open, "showcase.already_moderated") is None:
        return
    prompt = _("staff.reason.own_prompt").format(
        who=esc(callback.from_user.full_name), number=number(kind, callback_data.id)
    )
    await ask_reply(
        target(callback), state, callback_data.f, callback_data.id, prompt, card=callback_data.c or None
    )


async def _told_card_decided(
    message: Message, bot: Bot, i18n: Translator, card: Any, provider: User, returned: bool, reason: str
) -> None:
    title = esc(card.title)
    if returned:
        await message.answer(_("showcase.adm_returned").format(id=number("card", card.id), title=title))
        key = "showcase.returned_provider"
    else:
        await message.answer(_("showcase.adm_declined").format(id=number("card", card.id), title=title))
        key = "showcase.declined_provider"
    markup = (lambda: open_card_markup(card.id)) if returned else None
    await tell(bot, i18n, provider, lambda: _(key).format(title=title, reason=reason), markup)


async def decide(
    where: Message, staff: Any, code: str, object_id: int, text: str, desk: Desk, card_id: int | None = None
) -> bool:
    """The decision with its comment or reason; False when the service refused it (said under it).
    ``staff``: who decided (a Telegram user); ``card_id``: the card's message, updated in place."""
    staff_id = staff.id
    if code == TRIAL_DECLINE:
        write = svc.decide_trial(desk.session, staff_id, object_id, False, text, tz=desk.settings.tz)
    else:
        write = svc.moderate(
            desk.session, staff_id, object_id, "return" if code == RETURN else "decline", text
        )
    try:
        result = await write
    except DomainError as exc:
        await where.answer(error_text(exc))
        return not isinstance(exc, ValidationFailed)
    reason = esc(svc.clean_comment(text))
    key = {RETURN: "staff.acted.returned"}.get(code, "staff.acted.rejected")
    acted = acted_line(key, staff.full_name, desk.settings)
    if code == TRIAL_DECLINE:
        await trial_acted(desk.bot, where.chat.id, card_id, *result, acted)
        await told_trial_declined(where, desk.bot, desk.i18n, *result, reason)
    else:
        await card_acted(desk, where.chat.id, card_id, *result, acted)
        await _told_card_decided(where, desk.bot, desk.i18n, *result, code == RETURN, reason)
    await pin_after_decision(desk)
    return True


async def comment_replied(message: Message, reply_for: dict[str, Any], state: FSMContext, desk: Desk) -> None:
    """A comment or reason, given as a reply to the bot's prompt; a bad one is asked again."""
    assert message.from_user is not None
    if not message.text:
        await message.reply(_("showcase.adm_text_please"))
        return
    code, object_id = reply_for["f"], int(reply_for["id"])
    card_id = reply_for.get("card")
    if await decide(message, message.from_user, code, object_id, message.text, desk, card_id):
        await state.clear()


def register(router: Router) -> None:
    cb, msg = router.callback_query.register, router.message.register
    cb(queue, on(StaffAction.QUEUE))
    cb(publish, CardDecisionCb.filter(F.action == CardDecision.PUBLISH))
    cb(ask_comment, CardDecisionCb.filter(F.action.in_({CardDecision.RETURN, CardDecision.DECLINE})))
    cb(ask_comment, TrialDecisionCb.filter(F.action == TrialDecision.DECLINE))
    codes = {DECLINE, TRIAL_DECLINE}
    cb(reason_picked, ReasonCb.filter((F.action == ReasonAction.PICK) & F.f.in_(codes)))
    cb(reason_own, ReasonCb.filter((F.action == ReasonAction.OWN) & F.f.in_(codes)))
    msg(comment_replied, ReplyToPrompt(RETURN, DECLINE, TRIAL_DECLINE))
