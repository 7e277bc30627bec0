"""Builders for the kinds of step most forms have: buttons from a list of codes, a typed text with a
length limit. A form's step list then says only what differs (its keys, its limit, its validator)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from handlers.forms.model import Choices, FormContext, Step, text_of
from services.plural import plural


def coded(prefix: str, codes: Iterable[object]) -> Callable[[FormContext], Choices]:
    """``choices``: a button for each code, labelled by the locale key ``prefix`` + the code."""
    return lambda ctx: [(_(f"{prefix}{code}"), str(code)) for code in codes]


def typed(clean: Callable[[str], Any]) -> Callable[[Message, FormContext], Any]:
    """``parse`` of a typed answer: its text through the feature's validator (WrongKind if not text)."""
    return lambda message, ctx: clean(text_of(message))


def text_step(name: str, ask: str, limit: int, clean: Callable[[str], Any], **more: Any) -> Step:
    """A step answered by typing at most ``limit`` characters: the prompt ``ask`` names the limit (in
    its plural form) and the text goes through ``clean``; ``more`` are the step's other fields."""
    return Step(name, lambda ctx: plural(_, ask, limit), parse=typed(clean), **more)


def ticked(prefix: str, codes: Iterable[str], chosen: Iterable[str], unticked: str = "") -> Choices:
    """The buttons of a choice of several: each code labelled by ``prefix`` + code, ✅ before the
    chosen ones (``unticked`` before the others)."""
    picked = set(chosen)
    return [(("✅ " if code in picked else unticked) + _(prefix + code), code) for code in codes]


def toggled(chosen: list[str], value: str) -> list[str]:
    """``chosen`` with ``value`` taken out if it was in, else added at the end."""
    return [c for c in chosen if c != value] if value in chosen else [*chosen, value]
