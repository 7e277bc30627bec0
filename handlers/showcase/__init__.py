"""The services showcase (ЭКСПО услуг): the resident's catalogue and requests, the provider's cards,
requests and trial-office application, the conversation relayed between them; and the staff's side
in the admin chat."""

from __future__ import annotations

from aiogram import Router

from handlers import forms
from handlers.common import feature_router, resident_router
from handlers.showcase import (
    admin,
    admin_catalogue,
    admin_moderation,
    card_form,
    catalogue,
    chat,
    provider,
    request_dialog,
    requests,
    trial,
)


def create_router() -> Router:
    """Everything of the showcase in private chats, for registered people."""
    return resident_router(
        "showcase",
        chat.register,
        catalogue.register,
        requests.register,
        request_dialog.register,
        provider.register,
        lambda router: router.include_router(forms.router_for(card_form.CARD)),
        provider.register_requests,
        trial.register,
    )


def create_admin_router() -> Router:
    """The staff's side; included under the admin router (admin chat, staff only)."""
    return feature_router(
        "admin-showcase", admin.register, admin_moderation.register, admin_catalogue.register
    )
