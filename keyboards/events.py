"""Event buttons: the person's list, card, offers, reminders and feedback; the staff side and dialog."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from keyboards.common import Id, NavCb, nav_row


class EvCb(CallbackData, prefix="ev"):
    """The person's buttons. services.events packs the same layout into queued notices."""

    a: str  # list | card | su | wl | cx | cxy | oy | on | yes | no | rate | ics | my
    e: Id = 0  # event id
    v: Id = 0  # page, rating


class EaCb(CallbackData, prefix="eva"):
    """Staff buttons in the admin chat."""

    a: str
    e: Id = 0
    v: Id = 0


class EfCb(CallbackData, prefix="evf"):
    """Choices inside the staff dialog."""

    f: str
    v: str = ""


# --- the person's side ------------------------------------------------------------------------------


def list_keyboard(items: list[tuple[int, str]], page: int, pages: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for event_id, label in items:
        builder.row(InlineKeyboardButton(text=label, callback_data=EvCb(a="card", e=event_id).pack()))
    paging = []
    if page > 0:
        paging.append(
            InlineKeyboardButton(text=_("events.btn_prev"), callback_data=EvCb(a="list", v=page - 1).pack())
        )
    if page + 1 < pages:
        paging.append(
            InlineKeyboardButton(text=_("events.btn_next"), callback_data=EvCb(a="list", v=page + 1).pack())
        )
    if paging:
        builder.row(*paging)
    return builder.as_markup()


def card_keyboard(
    event_id: int, *, status: str | None, can_sign_up: bool, full: bool, page: int = 0, checkin: bool = False
) -> InlineKeyboardMarkup:
    """``status``: the person's active sign-up status, or None; ``checkin``: the door is open."""
    builder = InlineKeyboardBuilder()
    if checkin:
        builder.row(
            InlineKeyboardButton(text=_("events.btn_checkin"), callback_data=EvCb(a="ci", e=event_id).pack())
        )
    if status == "offered":
        builder.row(
            InlineKeyboardButton(
                text=_("events.btn_offer_yes"), callback_data=EvCb(a="oy", e=event_id).pack()
            ),
            InlineKeyboardButton(
                text=_("events.btn_offer_no"), callback_data=EvCb(a="on", e=event_id).pack()
            ),
        )
    elif status in ("confirmed", "waiting"):
        if status == "confirmed":
            builder.row(
                InlineKeyboardButton(text=_("events.btn_ics"), callback_data=EvCb(a="ics", e=event_id).pack())
            )
        label = _("events.btn_cancel_signup") if status == "confirmed" else _("events.btn_leave_waitlist")
        builder.row(InlineKeyboardButton(text=label, callback_data=EvCb(a="cx", e=event_id).pack()))
    elif can_sign_up:
        if full:
            builder.row(
                InlineKeyboardButton(
                    text=_("events.btn_waitlist"), callback_data=EvCb(a="wl", e=event_id).pack()
                )
            )
        else:
            builder.row(
                InlineKeyboardButton(
                    text=_("events.btn_signup"), callback_data=EvCb(a="su", e=event_id).pack()
                )
            )
    builder.row(
        InlineKeyboardButton(text=_("events.btn_to_list"), callback_data=EvCb(a="list", v=page).pack())
    )
    return builder.as_markup()


def waitlist_offer_keyboard(event_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=_("events.btn_waitlist"), callback_data=EvCb(a="wl", e=event_id).pack()
                )
            ],
            [InlineKeyboardButton(text=_("events.btn_to_list"), callback_data=EvCb(a="list").pack())],
        ]
    )


def confirm_cancel_keyboard(event_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=_("events.btn_cancel_yes"), callback_data=EvCb(a="cxy", e=event_id).pack()
                ),
                InlineKeyboardButton(
                    text=_("events.btn_cancel_no"), callback_data=EvCb(a="card", e=event_id).pack()
                ),
            ]
        ]
    )


def my_keyboard(items: list[tuple[int, str]]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for event_id, label in items:
        builder.row(InlineKeyboardButton(text=label, callback_data=EvCb(a="card", e=event_id).pack()))
    builder.row(InlineKeyboardButton(text=_("events.btn_all_events"), callback_data=EvCb(a="list").pack()))
    return builder.as_markup()


def rating_keyboard(event_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=_(f"events.btn_rate_{n}"), callback_data=EvCb(a="rate", e=event_id, v=n).pack()
                )
                for n in range(1, 6)
            ]
        ]
    )


def comment_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=_("btn.skip"), callback_data=EvCb(a="nocomment").pack())]]
    )


# --- staff ----------------------------------------------------------------------------------------


def staff_list_keyboard(items: list[tuple[int, str]]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.row(InlineKeyboardButton(text=_("events.btn_new"), callback_data=EaCb(a="new").pack()))
    for event_id, label in items:
        builder.row(InlineKeyboardButton(text=label, callback_data=EaCb(a="card", e=event_id).pack()))
    return builder.as_markup()


def staff_card_keyboard(event_id: int, status: str) -> InlineKeyboardMarkup:
    b = InlineKeyboardBuilder()

    def button(key: str, action: str, value: int = 0) -> InlineKeyboardButton:
        return InlineKeyboardButton(text=_(key), callback_data=EaCb(a=action, e=event_id, v=value).pack())

    if status == "draft":
        b.row(button("events.btn_publish", "pub"), button("events.btn_publish_announce", "puba"))
    if status != "cancelled":
        b.row(button("events.btn_edit", "edit"), button("events.btn_people", "people"))
        b.row(button("events.btn_link_qr", "qr"), button("events.btn_checkin_qr", "code"))
    b.row(button("events.btn_xlsx", "xlsx"), button("events.btn_feedback", "fb"))
    if status == "published":
        b.row(button("events.btn_announce", "puba"))
    if status != "cancelled":
        b.row(button("events.btn_cancel_event", "cancel"))
    b.row(InlineKeyboardButton(text=_("events.btn_staff_list"), callback_data=EaCb(a="list").pack()))
    return b.as_markup()


def staff_confirm_cancel_keyboard(event_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=_("events.btn_cancel_event_yes"), callback_data=EaCb(a="cancely", e=event_id).pack()
                ),
                InlineKeyboardButton(
                    text=_("events.btn_keep_event"), callback_data=EaCb(a="card", e=event_id).pack()
                ),
            ]
        ]
    )


def people_keyboard(
    event_id: int, rows: list[tuple[int, str, bool]], page: int, pages: int
) -> InlineKeyboardMarkup:
    """One toggle per participant: (signup id, label, checked in)."""
    builder = InlineKeyboardBuilder()
    for signup_id, label, present in rows:
        mark = "✅" if present else "⬜"
        builder.row(
            InlineKeyboardButton(
                text=f"{mark} {label}", callback_data=EaCb(a="ci", e=event_id, v=signup_id).pack()
            )
        )
    paging = []
    if page > 0:
        paging.append(
            InlineKeyboardButton(
                text=_("events.btn_prev"), callback_data=EaCb(a="people", e=event_id, v=page - 1).pack()
            )
        )
    if page + 1 < pages:
        paging.append(
            InlineKeyboardButton(
                text=_("events.btn_next"), callback_data=EaCb(a="people", e=event_id, v=page + 1).pack()
            )
        )
    if paging:
        builder.row(*paging)
    builder.row(
        InlineKeyboardButton(text=_("events.btn_xlsx"), callback_data=EaCb(a="xlsx", e=event_id).pack()),
        InlineKeyboardButton(text=_("events.btn_back_card"), callback_data=EaCb(a="card", e=event_id).pack()),
    )
    return builder.as_markup()


def code_keyboard(event_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=_("events.btn_new_code"), callback_data=EaCb(a="newcode", e=event_id).pack()
                ),
                InlineKeyboardButton(
                    text=_("events.btn_back_card"), callback_data=EaCb(a="card", e=event_id).pack()
                ),
            ]
        ]
    )


def form_choices(
    items: list[tuple[str, str]], field: str, width: int = 2, back: bool = True
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for label, value in items:
        builder.button(text=label, callback_data=EfCb(f=field, v=value))
    builder.adjust(width)
    builder.row(*nav_row(back=back))
    return builder.as_markup()


def audience_keyboard(groups: list[tuple[str, str, bool]]) -> InlineKeyboardMarkup:
    """(label, group, chosen) toggles, then «Для всех» and «Готово»."""
    builder = InlineKeyboardBuilder()
    for label, group, chosen in groups:
        builder.button(text=("✅ " if chosen else "") + label, callback_data=EfCb(f="aud", v=group))
    builder.adjust(2)
    builder.row(
        InlineKeyboardButton(text=_("events.btn_for_all"), callback_data=EfCb(f="aud", v="*").pack()),
        InlineKeyboardButton(text=_("events.btn_done"), callback_data=EfCb(f="aud", v="done").pack()),
    )
    builder.row(*nav_row())
    return builder.as_markup()


def preview_keyboard(editing: bool) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    if editing:
        builder.row(
            InlineKeyboardButton(
                text=_("events.btn_save_changes"), callback_data=EfCb(f="save", v="edit").pack()
            )
        )
    else:
        builder.row(
            InlineKeyboardButton(
                text=_("events.btn_save_draft"), callback_data=EfCb(f="save", v="draft").pack()
            )
        )
        builder.row(
            InlineKeyboardButton(text=_("events.btn_publish"), callback_data=EfCb(f="save", v="pub").pack()),
            InlineKeyboardButton(
                text=_("events.btn_publish_announce"), callback_data=EfCb(f="save", v="puba").pack()
            ),
        )
    builder.row(
        InlineKeyboardButton(text=_("events.btn_change_field"), callback_data=EfCb(f="fields").pack())
    )
    builder.row(InlineKeyboardButton(text=_("btn.cancel"), callback_data=NavCb(action="cancel").pack()))
    return builder.as_markup()


EDITABLE = (
    "title",
    "description",
    "kind",
    "starts",
    "ends",
    "place_kind",
    "capacity",
    "deadline",
    "audience",
    "poster",
)


def fields_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for name in EDITABLE:
        builder.button(text=_(f"events.field_{name}"), callback_data=EfCb(f="goto", v=name))
    builder.adjust(2)
    builder.row(InlineKeyboardButton(text=_("events.btn_to_preview"), callback_data=EfCb(f="preview").pack()))
    return builder.as_markup()
