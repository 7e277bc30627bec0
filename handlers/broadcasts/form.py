"""The broadcast dialog on the form engine (admin chat): who gets it (filters, each a sub-screen of the
audience step), then a preview (the message is copied to the staff member once) to send now or to
schedule (schedule.py asks the day and the time)."""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.utils.i18n import gettext as _

from db.base import utcnow
from handlers.broadcasts import schedule as scheduling
from handlers.broadcasts.schedule import create, schedule
from handlers.broadcasts.views import preview_text, quiet_window, show, what_text, who_lines
from handlers.forms import STAY, FormContext, Step
from handlers.staff_forms import staff_chat_form
from keyboards import broadcasts as kb
from services import broadcasts as service
from services.broadcasts import SOURCE_GONE
from services.errors import ValidationFailed
from services.plural import plural
from services.users import DISTRICTS, TARGET_GROUPS

FILTER, RESET, NEXT, ANY = "f.", "reset", "next", "*"
SOURCE_KEYS = ("source", "ref", "label")


def _values(pick: str) -> list[tuple[str, str]]:
    if pick == "group":
        return [(_(f"group.{g}"), g) for g in TARGET_GROUPS]
    if pick in ("district", "interest"):
        return [(_(f"district.{d}"), d) for d in DISTRICTS]
    return [(_(spec.label_key), name) for name, spec in service.AUDIENCES.items()]


async def _ref_options(ctx: FormContext, source: str) -> list[tuple[str, str]]:
    """(label, ref) for a feature audience; the label "*" means every topic/object."""
    options = await service.source_options(ctx.session, source)
    return [(_("broadcast.all_topics") if label == "*" else label, ref) for ref, label in options]


def _without_source(audience: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in audience.items() if k not in SOURCE_KEYS}


async def audience_prompt(ctx: FormContext) -> str:
    pick, audience = ctx.draft.get("pick"), ctx.draft.get("aud") or {}
    if pick == "ref":
        return _("broadcast.pick_ref").format(source=_(service.AUDIENCES[ctx.draft["src"]].label_key))
    if pick:
        return _(f"broadcast.pick_{pick}")
    count = await service.count_audience(ctx.session, audience)
    text = _("broadcast.audience_title").format(
        what=what_text(ctx.extra), who="\n".join(who_lines(audience)), count=count
    )
    return text + "\n\n" + _("broadcast.album_note") if ctx.extra.get("album") else text


async def audience_choices(ctx: FormContext) -> list[tuple[str, str]]:
    pick = ctx.draft.get("pick")
    if pick == "ref":
        return [(kb.escape(label), ref) for label, ref in await _ref_options(ctx, ctx.draft["src"])]
    if pick == "source":
        return _values(pick)
    if pick:
        return [*_values(pick), (_("broadcast.btn_any"), ANY)]
    filters = [f for f in kb.FILTERS if f != "source" or service.AUDIENCES]
    items = [(_(f"broadcast.btn_{f}"), FILTER + f) for f in filters]
    if ctx.draft.get("aud"):
        items.append((_("broadcast.btn_reset"), RESET))
    return [*items, (_("broadcast.btn_next"), NEXT)]


async def send_preview(bot: Bot, staff_id: int, admin_chat_id: int, data: dict[str, Any]) -> bool:
    """Copy the message to the staff member privately (with the button people get); if the bot cannot
    write to them, into the admin chat. True if it went privately."""
    markup = kb.unsubscribe_keyboard(0)
    try:
        await bot.copy_message(staff_id, data["chat"], data["msg"], reply_markup=markup)
        return True
    except TelegramForbiddenError:
        pass
    except TelegramBadRequest as exc:
        if any(marker in exc.message.lower() for marker in SOURCE_GONE):
            raise ValidationFailed("broadcast.source_gone") from exc
    try:
        await bot.copy_message(admin_chat_id, data["chat"], data["msg"], reply_markup=markup)
    except TelegramBadRequest as exc:
        raise ValidationFailed("broadcast.source_gone") from exc
    return False


async def _ready(ctx: FormContext, audience: dict[str, str]) -> dict[str, str]:
    """«Далее»: somebody must match; the message is copied to the staff member once (the preview)."""
    if await service.count_audience(ctx.session, audience) == 0:
        raise ValidationFailed("broadcast.nobody")
    if "private" not in ctx.extra:
        ctx.extra["private"] = await send_preview(ctx.bot, ctx.from_id, ctx.message.chat.id, ctx.extra)
    return audience


async def pick_audience(value: str, ctx: FormContext) -> Any:
    """A filter opens its sub-screen, a value there sets it; «Далее» answers the step."""
    pick = ctx.draft.pop("pick", None)
    audience = dict(ctx.draft.get("aud") or {})
    if pick == "ref":
        labels = {ref: label for label, ref in await _ref_options(ctx, ctx.draft["src"])}
        audience = {
            **_without_source(audience),
            "source": ctx.draft["src"],
            "ref": value,
            "label": labels[value][:60],
        }
    elif pick == "source" and service.AUDIENCES[value].options is not None:
        if not await _ref_options(ctx, value):
            raise ValidationFailed("broadcast.no_options")
        ctx.draft.update(pick="ref", src=value)
        return STAY
    elif pick == "source":
        audience = {**_without_source(audience), "source": value}
    elif pick and value == ANY:
        audience.pop(pick, None)
    elif pick:
        audience[pick] = value
    elif value.startswith(FILTER):
        ctx.draft["pick"] = value.removeprefix(FILTER)
        return STAY
    elif value == RESET:
        audience = {}
    elif value == NEXT:
        return await _ready(ctx, audience)
    ctx.draft["aud"] = audience
    return STAY


def back_from_sub_screen(ctx: FormContext) -> bool:
    """«Назад» on a filter's values: back to the audience (a step of its own only in appearance)."""
    return ctx.draft.pop("pick", None) is not None


async def preview(ctx: FormContext) -> str:
    audience = ctx.draft.get("aud") or {}
    count = await service.count_audience(ctx.session, audience)
    text = preview_text({**ctx.extra, "aud": audience}, count)
    settings = ctx.settings
    if service.in_quiet_hours(utcnow(), settings.quiet_hours_start, settings.quiet_hours_end, settings.tz):
        start, end = quiet_window(settings)
        text += "\n\n" + _("broadcast.quiet_now").format(start=start, end=end)
    return text


async def finish(ctx: FormContext) -> str | None:
    """«Отправить»: the broadcast starts; «Запланировать»: the day and the time, then it is scheduled."""
    data = {**ctx.extra, "aud": ctx.draft.get("aud") or {}}
    if ctx.extra.get("confirm") == "sched":
        if not (await ctx.state.get_data()).get("finishing"):
            ctx.draft["scheduling"] = True
            return "day"
        await schedule(ctx, data)
        return None
    row = await create(ctx, data)
    await ctx.state.clear()
    count = await service.count_audience(ctx.session, row.audience)
    await show(ctx.event, plural(_, "broadcast.started", count, id=row.id), None)
    sender = ctx.data.get("broadcast_sender")
    if sender is not None:
        sender.wake()
    return None


BROADCAST = staff_chat_form(
    name="bc",
    steps=(
        Step(
            "audience",
            audience_prompt,
            choices=audience_choices,
            pick=pick_audience,
            on_back=back_from_sub_screen,
            hint="forms.hint_buttons",
            field="aud",
        ),
        *scheduling.STEPS,
    ),
    finish=finish,
    preview=preview,
    confirms=lambda ctx: [("broadcast.btn_send", "send"), ("broadcast.btn_schedule", "sched")],
    cancelled="broadcast.cancelled_dialog",
)
