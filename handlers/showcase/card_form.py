"""The provider's card dialog on the form engine: organisation, title, category, description,
districts, price, format, photo, then the preview with «Подтвердить» / «Изменить поле». Editing one
field of a saved card asks that step alone (``single``) and saves it at once; the card goes back to
moderation."""

from __future__ import annotations

from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from db.models import User
from db.models.showcase import ServiceCard
from handlers import forms
from handlers.common import error_text, target
from handlers.forms import STAY, Form, FormContext, Step, WrongKind, text_of
from handlers.showcase.views import (
    back_to_hub,
    card_text,
    current_language,
    esc,
    post_for_moderation,
    show_own_card,
)
from keyboards.showcase import ALL, format_label
from services import showcase as svc
from services.errors import DomainError, ValidationFailed
from services.plural import plural
from services.users import DISTRICTS

SERVED = tuple(code for code in DISTRICTS if code != "other")
DONE = "done"
KEEP, DROP = "keep", "drop"


COLUMN_OF = {"photo": "photo_file_id"}
"""The draft keys whose card column has another name."""


def form_of_card(card: ServiceCard) -> dict[str, Any]:
    """A saved card as the form's draft: each step's field from the card's column."""
    draft = {step.key: getattr(card, COLUMN_OF.get(step.key, step.key)) for step in STEPS}
    draft["districts"] = list(card.districts)
    return draft


# --- the steps ----------------------------------------------------------------------------------


def _keep_organisation(ctx: FormContext) -> list[tuple[str, str]]:
    current = ctx.draft.get("organisation")
    return [(_("showcase.btn_keep").format(value=esc(current[:40])), KEEP)] if current else []


async def _categories(ctx: FormContext) -> list[tuple[str, str]]:
    language = current_language()
    return [(svc.category_title(c, language), str(c.id)) for c in await svc.categories(ctx.session)]


def _districts(ctx: FormContext) -> list[tuple[str, str]]:
    chosen = set(ctx.draft.get("districts") or [])
    items = [(("✅ " if code in chosen else "▫️ ") + _("district." + code), code) for code in SERVED]
    return [*items, (_("showcase.btn_all_districts"), ALL), (_("showcase.btn_districts_done"), DONE)]


def _toggle_district(raw: str, ctx: FormContext) -> Any:
    """A district toggles; «Все районы» all or none; «Готово» leaves the step with at least one."""
    chosen = list(ctx.draft.get("districts") or [])
    if raw == DONE:
        if not chosen:
            raise ValidationFailed("showcase.bad_districts")
        return chosen
    if raw == ALL:
        chosen = [] if set(SERVED) <= set(chosen) else list(SERVED)
    else:
        chosen = [c for c in chosen if c != raw] if raw in chosen else [*chosen, raw]
    ctx.draft["districts"] = [c for c in SERVED if c in chosen]
    return STAY


def _photo_choices(ctx: FormContext) -> list[tuple[str, str]]:
    if ctx.draft.get("photo"):
        return [(_("showcase.btn_keep_photo"), KEEP), (_("showcase.btn_drop_photo"), DROP)]
    return [(_("showcase.btn_no_photo"), DROP)]


def _photo(message: Message, ctx: FormContext) -> str:
    if not message.photo:
        raise WrongKind
    return message.photo[-1].file_id


def _text(clean: Any) -> Any:
    return lambda message, ctx: clean(text_of(message))


def _limited_text(name: str, ask: str, limit: int, clean: Any, label: str) -> Step:
    """A text field of at most ``limit`` characters (the prompt says how many), checked by ``clean``."""
    return Step(
        name,
        lambda ctx: plural(_, ask, limit),
        parse=_text(clean),
        hint="showcase.hint_text",
        label=label,
    )


STEPS = (
    Step(
        "organisation",
        "showcase.ask_organisation",
        choices=_keep_organisation,
        pick=lambda raw, ctx: ctx.draft["organisation"],
        parse=_text(svc.clean_organisation),
        width=1,
        hint="showcase.hint_text",
        label="showcase.edit_organisation",
    ),
    _limited_text("title", "showcase.ask_title", svc.TITLE_MAX, svc.clean_title, "showcase.edit_title"),
    Step(
        "category",
        "showcase.ask_category",
        choices=_categories,
        pick=lambda raw, ctx: int(raw),
        hint="showcase.hint_buttons",
        field="category_id",
        label="showcase.edit_category",
    ),
    _limited_text(
        "description",
        "showcase.ask_description",
        svc.DESCRIPTION_MAX,
        svc.clean_description,
        "showcase.edit_description",
    ),
    Step(
        "districts",
        "showcase.ask_districts",
        choices=_districts,
        pick=_toggle_district,
        hint="showcase.hint_buttons",
        label="showcase.edit_districts",
    ),
    Step(
        "price",
        lambda ctx: plural(_, "showcase.ask_price", svc.PRICE_MAX),
        choices=lambda ctx: [(_("showcase.btn_free"), "free")],
        pick=lambda raw, ctx: None,
        parse=_text(svc.clean_price),
        hint="showcase.hint_text",
        label="showcase.edit_price",
    ),
    Step(
        "format",
        "showcase.ask_format",
        choices=lambda ctx: [(format_label(code), code) for code in svc.FORMATS],
        hint="showcase.hint_buttons",
        label="showcase.edit_format",
    ),
    Step(
        "photo",
        "showcase.ask_photo",
        choices=_photo_choices,
        pick=lambda raw, ctx: ctx.draft.get("photo") if raw == KEEP else None,
        parse=_photo,
        width=1,
        hint="showcase.hint_photo",
        label="showcase.edit_photo",
    ),
)


# --- the preview, saving, leaving ---------------------------------------------------------------


def _card_of(draft: dict[str, Any]) -> ServiceCard:
    return ServiceCard(
        organisation=draft.get("organisation") or "",
        title=draft.get("title") or "",
        category_id=int(draft.get("category_id") or 0),
        description=draft.get("description") or "",
        districts=draft.get("districts") or [],
        price=draft.get("price"),
        format=draft.get("format") or "online",
        photo_file_id=draft.get("photo"),
    )


async def _preview(ctx: FormContext) -> str:
    """The card as residents will see it (its photo, if any, goes above as a message of its own)."""
    card = _card_of(ctx.draft)
    category = await svc.category(ctx.session, card.category_id)
    if card.photo_file_id:
        await ctx.bot.send_photo(ctx.message.chat.id, card.photo_file_id)
    return (
        _("showcase.preview")
        + "\n\n"
        + card_text(card, svc.category_title(category, current_language()), None)
    )


async def _save_field(ctx: FormContext, card_id: int) -> None:
    """One field of a saved card, written at once; the card goes back to moderation."""
    name = (await ctx.state.get_data()).get("step") or ""
    key = CARD.step(name).key
    try:
        card = await svc.update_card(ctx.session, ctx.from_id, card_id, {key: ctx.draft.get(key)})
    except ValidationFailed:
        raise  # the engine shows it and asks the field again
    except DomainError as exc:  # the card is gone or closed: the edit ends
        await ctx.state.clear()
        await ctx.message.answer(error_text(exc))
        return
    await ctx.state.clear()
    await ctx.message.answer(_("showcase.card_updated"))
    await post_for_moderation(ctx.desk, card, ctx.user, edited=True)
    await show_own_card(ctx.event, ctx.session, card.id)


async def _finish(ctx: FormContext) -> None:
    if card_id := ctx.extra.get("card"):
        await _save_field(ctx, int(card_id))
        return
    card = await svc.create_card(
        ctx.session, ctx.from_id, ctx.draft, pending_limit=ctx.settings.showcase_pending_limit
    )
    await ctx.state.clear()
    await ctx.message.answer(_("showcase.card_sent").format(title=esc(card.title)))
    await post_for_moderation(ctx.desk, card, ctx.user, edited=False)
    await back_to_hub(ctx)


async def _leave(ctx: FormContext) -> None:
    """«Назад» from the first step: «Мои услуги»; from a field of a saved card: that card."""
    if card_id := ctx.extra.get("card"):
        await show_own_card(ctx.event, ctx.session, int(card_id))
        return
    await back_to_hub(ctx)


CARD = Form(
    name="card",
    steps=STEPS,
    finish=_finish,
    preview=_preview,
    step_header="showcase.step",
    on_exit=_leave,
)


async def start_form(
    event: Message | CallbackQuery, state: FSMContext, user: User, data: dict[str, Any]
) -> None:
    """A new card: the organisation from the profile is offered to keep."""
    await target(event).answer(_("showcase.form_intro"))
    draft = {"organisation": user.organisation, "districts": []}
    await forms.start(CARD, event, state, {**data, "user": user}, draft=draft)


async def edit_field(
    event: Message | CallbackQuery, state: FSMContext, card: ServiceCard, name: str, data: dict[str, Any]
) -> None:
    await forms.start(
        CARD, event, state, data, draft=form_of_card(card), extra={"card": card.id}, at=name, single=True
    )
