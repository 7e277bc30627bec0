"""Domain errors. Each carries a locale key (and format values) for the message the person sees."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    key: str = "error.generic"

    def __init__(self, key: str | None = None, **values: Any) -> None:
        self.key = key or self.key
        self.values = values
        super().__init__(self.key)


class ValidationFailed(DomainError):
    key = "error.invalid"


class NotAllowed(DomainError):
    key = "error.not_allowed"


class NotFound(DomainError):
    key = "error.not_found"


class Conflict(DomainError):
    """The state changed under the person's feet (the place was just taken, already handled...)."""

    key = "error.conflict"
