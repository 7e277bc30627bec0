"""Registration: /start, consent (152-ФЗ), the registration dialog and /profile."""

from __future__ import annotations

from aiogram import Router

from handlers import forms
from handlers.filters import private_only
from handlers.registration import first, profile, start
from handlers.registration.dialog import PROFILE, REGISTRATION


def create_router() -> Router:
    router = private_only(Router(name="registration"))
    router.include_routers(
        start.create_router(),
        first.create_router(),
        profile.create_router(),
        forms.router_for(REGISTRATION),
        forms.router_for(PROFILE),
    )
    return router
