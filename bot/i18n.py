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
from typing import Any

from aiogram.utils.i18n import I18n
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
LANGUAGES = ("ru", "en")


_COMPILED: dict[tuple[Any, ...], bytes] = {}
"""Compiled catalogs by language folder and its files' sizes and times: a process (or a test session)
that makes many dispatchers reads and compiles the .po files once; an edited file is read again."""


def load_catalog(lang_dir: Path) -> gettext.GNUTranslations:
    """Merge every .po file of one language into one translations object."""
    po_paths = sorted((lang_dir / "LC_MESSAGES").glob("*.po"))
    key = (str(lang_dir), *((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in po_paths))
    compiled = _COMPILED.get(key)
    if compiled is None:
        compiled = _COMPILED[key] = _compile(lang_dir, po_paths)
    return gettext.GNUTranslations(BytesIO(compiled)) if compiled else gettext.NullTranslations()  # type: ignore[return-value]


def _compile(lang_dir: Path, po_paths: list[Path]) -> bytes:
    """The .po files of one language merged and compiled to .mo bytes (empty: no files)."""
    merged = None
    for po_path in po_paths:
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
    if merged is None:
        return b""
    buffer = BytesIO()
    write_mo(buffer, merged)
    return buffer.getvalue()


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
