"""Telegram-facing dialogs. Each module builds its router with create_router()."""
