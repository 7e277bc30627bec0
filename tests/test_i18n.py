"""Every text key exists in both languages, every key the code uses exists, and every setting is
documented in .env.example and the README."""

from __future__ import annotations

import re
from pathlib import Path

from bot.config import Settings
from bot.i18n import LOCALES_DIR, load_catalog

ROOT = Path(__file__).resolve().parent.parent


def _keys(lang: str) -> set[str]:
    return {m for m in load_catalog(LOCALES_DIR / lang)._catalog if isinstance(m, str) and m}  # type: ignore[attr-defined]


def test_every_text_key_is_translated() -> None:
    ru, en = _keys("ru"), _keys("en")
    assert ru - en == set(), "keys without an English text"
    assert en - ru == set(), "keys without a Russian text"


def test_every_key_used_in_code_exists() -> None:
    ru = _keys("ru")
    # Whole literal keys only: _("a.b") — not prefixes that code completes (_("group." + value)).
    pattern = re.compile(r"""\b_{1,2}\(\s*["']([a-z][a-z0-9_]*\.[a-z0-9_.]*[a-z0-9_])["']\s*\)""")
    missing = set()
    for folder in ("bot", "handlers", "keyboards", "services"):
        for path in (ROOT / folder).rglob("*.py"):
            for key in pattern.findall(path.read_text(encoding="utf-8")):
                if key not in ru:
                    missing.add(f"{path.relative_to(ROOT)}: {key}")
    assert not missing, sorted(missing)


def test_every_setting_is_documented() -> None:
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in Settings.model_fields:
        env = name.upper()
        assert re.search(rf"^{env}=", example, re.M), f"{env} is missing in .env.example"
        assert f"`{env}`" in readme, f"{env} is missing in the README's settings table"
