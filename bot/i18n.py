"""aiogram's gettext i18n, fed straight from the .po files in locales/.

Every feature keeps its texts in ``locales/<lang>/LC_MESSAGES/<feature>.po``; msgids are stable keys
(``reg.ask_name``), so no user-facing sentence lives in Python code. The catalogs are compiled in
memory at start-up (no .mo files to keep in sync) and merged per language. A key missing in English
falls back to Russian.
"""

from __future__ import annotations

import gettext
from io import BytesIO
from pathlib import Path

from aiogram.utils.i18n import I18n
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
LANGUAGES = ("ru", "en")


def load_catalog(lang_dir: Path) -> gettext.GNUTranslations:
    """Merge every .po file of one language into one translations object."""
    merged = None
    for po_path in sorted((lang_dir / "LC_MESSAGES").glob("*.po")):
        with po_path.open("rb") as fp:
            catalog = read_po(fp, locale=lang_dir.name)
        if merged is None:
            merged = catalog
        else:
            for message in catalog:
                if message.id:
                    if message.id in merged:
                        raise ValueError(f"{po_path}: key {message.id!r} is defined twice")
                    merged[message.id] = message
    buffer = BytesIO()
    if merged is not None:
        write_mo(buffer, merged)
    else:
        buffer.write(b"")
    buffer.seek(0)
    return gettext.GNUTranslations(buffer) if merged is not None else gettext.NullTranslations()  # type: ignore[return-value]


def load_locales(path: Path = LOCALES_DIR, default_locale: str = "ru") -> dict[str, gettext.GNUTranslations]:
    locales: dict[str, gettext.GNUTranslations] = {}
    for lang_dir in sorted(path.iterdir()):
        if lang_dir.is_dir() and (lang_dir / "LC_MESSAGES").is_dir():
            locales[lang_dir.name] = load_catalog(lang_dir)
    default = locales.get(default_locale)
    if default is not None:
        for name, translations in locales.items():
            if name != default_locale:
                translations.add_fallback(default)
    return locales


def create_i18n(default_locale: str = "ru") -> I18n:
    # A plain I18n (aiogram finds the current instance by its class), given the merged catalogs.
    i18n = I18n(path=LOCALES_DIR, default_locale=default_locale, domain="_compiled_in_memory")
    i18n.locales = load_locales(LOCALES_DIR, default_locale)
    return i18n
