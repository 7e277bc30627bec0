"""Numbers with nouns: one helper for every text where a count meets a word («1 получатель»,
«2 получателя», «5 получателей»).

A *plural key* is a .po entry with ``msgid_plural`` (the same key) and one ``msgstr[i]`` per plural form
of the language (Russian three: 1/21/101, 2–4/22–24, 0/5–20/25…; English two). Its count is always the
placeholder ``{n}``. A domain error or a note whose values carry ``n`` is rendered as a plural key, so
``ValidationFailed("reg.bad_name", n=NAME_MAX)`` reads «до 21 символа» and «до 60 символов» alike.

``gettext`` is aiogram's (``aiogram.utils.i18n.gettext`` or ``I18n.gettext``): it takes
``(singular, plural, n)`` and picks the form by the catalog's ``Plural-Forms``. No aiogram here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

PluralGettext = Callable[..., str]
"""A gettext that also takes ``(singular, plural, n)``: aiogram's ``gettext`` and ``I18n.gettext``."""


def plural(gettext: PluralGettext, key: str, n: int, **values: Any) -> str:
    """The text of the plural ``key`` for the count ``n``, formatted with ``n`` and ``values``."""
    return gettext(key, key, n).format(n=n, **values)


def keyed_text(gettext: PluralGettext, key: str, values: Mapping[str, Any]) -> str:
    """A locale key with its format values (a domain error's, a note's): a plural key when the values
    carry the count ``n``, a plain one otherwise."""
    if "n" in values:
        text = gettext(key, key, int(values["n"]))
        if text != key:  # a count given to a key that has no plural forms: its one text
            return text.format(**values)
    return gettext(key).format(**values)
