"""Long HTML texts within Telegram's limits, never split inside a tag or an entity.

Telegram refuses a message whose HTML is broken (a tag cut in half, ``<b>`` never closed). Texts that can
grow with data (lists, feedback, previews) are joined from whole lines with ``join_lines`` before they are
sent; ``cut_html`` is the last line of defence for a text that is already built: it keeps whole lines,
and closes any tag a kept line left open.
"""

from __future__ import annotations

import re

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
SAFE_MESSAGE = 3900  # leaves room for a header or a closing tag
MORE = "…"

_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)[^>]*>")


def join_lines(lines: list[str], limit: int = SAFE_MESSAGE, sep: str = "\n") -> str:
    """Whole lines (each a complete piece of HTML) joined while they fit; «…» marks that more was left out."""
    out: list[str] = []
    size = 0
    for line in lines:
        if size + len(line) + len(sep) > limit - len(MORE) - len(sep):
            out.append(MORE)
            break
        out.append(line)
        size += len(line) + len(sep)
    return sep.join(out)


def _open_tags(text: str) -> list[str]:
    stack: list[str] = []
    for closing, name in _TAG.findall(text):
        name = name.lower()
        if not closing:
            stack.append(name)
        elif name in stack:
            while stack and stack.pop() != name:
                pass
    return stack


def _safe_cut(text: str, limit: int) -> str:
    """``text[:limit]`` moved back so that it ends neither inside a tag nor inside an entity."""
    cut = text[:limit]
    lt, gt = cut.rfind("<"), cut.rfind(">")
    if lt > gt:
        cut = cut[:lt]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut


def cut_html(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """``text`` within ``limit`` characters as valid HTML: whole lines first, a line cut only when the
    first one alone is too long, and the tags left open closed again."""
    if len(text) <= limit:
        return text
    budget = limit - len(MORE) - 64  # room for the closing tags
    kept = text[:budget]
    newline = kept.rfind("\n")
    kept = kept[:newline] if newline > 0 else _safe_cut(text, budget)
    closing = "".join(f"</{name}>" for name in reversed(_open_tags(kept)))
    return kept + MORE + closing
