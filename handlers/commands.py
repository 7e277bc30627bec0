"""The command menus Telegram shows. Features add their commands here."""

from __future__ import annotations

# (command, description key) for private chats, in the order shown.
USER_COMMANDS: list[tuple[str, str]] = [
    ("start", "cmd.start"),
    ("menu", "cmd.menu"),
    ("profile", "cmd.profile"),
    ("privacy", "cmd.privacy"),
    ("language", "cmd.language"),
    ("about", "cmd.about"),
    ("help", "cmd.help"),
    ("idea", "ideas.cmd.idea"),
    ("ideas", "ideas.cmd.ideas"),
    ("events", "events.cmd_events"),
    ("services", "showcase.cmd"),
    ("book", "booking.cmd"),
    ("my", "cmd.my"),
    ("cancel", "cmd.cancel"),
    ("settings", "settings.cmd"),
    ("consult", "consult.cmd"),
]
