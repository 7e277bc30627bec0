"""The delivery layer: every Telegram send that is not a direct reply to an update.

- ``telegram.TelegramNotifier``: the services' Notifier port (services.ports) over an aiogram Bot; it
  turns port buttons into inline keyboards and aiogram's errors into the port's DeliveryError kinds.
- ``outbox``: builds the outbox sender (services.outbox.Outbox, which claims and marks rows) with a
  TelegramNotifier, as the scheduler runs it.
- ``broadcasts``: the paced broadcast sender (copies of a staff message to many people).
- ``jobs``: scheduled jobs that send (they call services and hand them a Notifier).
"""
