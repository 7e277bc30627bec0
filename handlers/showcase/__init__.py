"""The services showcase (ЭКСПО услуг): the resident's catalogue and requests, the provider's cards,
requests and trial-office application, the conversation relayed between them; and the staff's side
in the admin chat."""

from __future__ import annotations

from aiogram import Router

from handlers import forms
from handlers.common import RequireRegistration
from handlers.filters import private_only
from handlers.showcase import (
    admin,
    admin_catalogue,
    card_form,
    catalogue,
    chat,
    provider,
    requests,
    trial,
)


def create_router() -> Router:
    """Everything of the showcase in private chats, for registered people."""
    router = Router(name="showcase")
    private_only(router)
    router.message.middleware(RequireRegistration())
    router.callback_query.middleware(RequireRegistration())
    chat.register(router)
    catalogue.register(router)
    requests.register(router)
    provider.register(router)
    router.include_router(forms.router_for(card_form.CARD))
    provider.register_requests(router)
    trial.register(router)
    return router


def create_admin_router() -> Router:
    """The staff's side; included under the admin router (admin chat, staff only)."""
    router = Router(name="admin-showcase")
    admin.register(router)
    admin_catalogue.register(router)
    return router
