"""The domain: plain async functions over an AsyncSession, free of Telegram types."""
