"""Numbers staff and residents see: one prefix per kind of request, so «12» never means two things.

К-12 consultation, Б-12 booking, И-12 idea, У-12 catalogue request, М-12 event; the catalogue's cards
(КУ-12, «карточка услуги») and trial-office applications (ПО-12) have their own prefixes too, because
their numbers come from tables of their own. ``number`` formats, ``parse`` reads what a person typed
(«к12», «K-12», «№ К-12»: Latin look-alikes and missing dashes are forgiven)."""

from __future__ import annotations

import re

PREFIXES: dict[str, str] = {
    "consultation": "К",
    "booking": "Б",
    "idea": "И",
    "request": "У",
    "event": "М",
    "card": "КУ",
    "trial": "ПО",
}
KINDS: dict[str, str] = {prefix: kind for kind, prefix in PREFIXES.items()}

# Latin letters that look like (or sit on the same key as) the Cyrillic ones.
_LOOKALIKE = str.maketrans({"K": "К", "B": "Б", "Y": "У", "M": "М", "P": "П", "O": "О", "U": "И", "N": "И"})
_PATTERN = re.compile(r"^\s*(?:№\s*)?([A-Za-zА-Яа-яЁё]{1,2})\s*[-–—#№ ]?\s*(\d{1,9})\s*$")
MAX_ID = 2**31 - 1


def number(kind: str, ident: int) -> str:
    """«К-12» for the consultation 12."""
    return f"{PREFIXES[kind]}-{ident}"


def parse(text: str | None) -> tuple[str, int] | None:
    """(kind, id) of a typed number, or None when it is not one of ours."""
    match = _PATTERN.match(text or "")
    if match is None:
        return None
    prefix = match.group(1).upper().translate(_LOOKALIKE)
    kind = KINDS.get(prefix)
    ident = int(match.group(2))
    if kind is None or not 0 < ident <= MAX_ID:
        return None
    return kind, ident
