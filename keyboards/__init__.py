"""Keyboards: CallbackData factories and builders, one module per feature. No I/O here."""
