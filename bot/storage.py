"""FSM storage kept in the bot's own SQL database, so a dialog survives a restart without Redis."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, KeyBuilder, StateType, StorageKey
from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from db.base import utcnow
from db.engine import Database, write
from db.models import FsmState


class SQLStorage(BaseStorage):
    """On PostgreSQL it uses a connection pool of its own: an update already holds a connection of the
    main pool while its state is read or written, so sharing one pool could deadlock under a burst.
    On SQLite it shares the main database object, whose write lock also serialises its writes (and the
    pool there is cheap and larger than the concurrency limit)."""

    def __init__(self, db: Database, key_builder: KeyBuilder | None = None) -> None:
        self._own = not db.is_sqlite
        self.db = (
            Database(db.url.render_as_string(hide_password=False), pool_size=5, max_overflow=20)
            if self._own
            else db
        )
        self.key_builder = key_builder or DefaultKeyBuilder(with_destiny=True)

    def _key(self, key: StorageKey) -> str:
        return self.key_builder.build(key)

    async def _row(self, key: StorageKey) -> FsmState | None:
        async with self.db.session() as session:
            return await session.get(FsmState, self._key(key))

    async def _upsert(self, key: StorageKey, values: dict[str, Any]) -> None:
        insert = sqlite_insert if self.db.is_sqlite else pg_insert
        stmt = insert(FsmState).values(key=self._key(key), **values)
        # ON CONFLICT does not run the column's onupdate: set the time a draft was last touched here
        # (drafts untouched for DRAFT_RETENTION_DAYS expire, services.privacy.apply_retention)
        stmt = stmt.on_conflict_do_update(
            index_elements=[FsmState.key], set_={**values, "updated_at": utcnow()}
        )
        async with self.db.session() as session, write(session):
            await session.execute(stmt)
            await session.execute(
                delete(FsmState).where(
                    FsmState.key == self._key(key), FsmState.state.is_(None), FsmState.data.is_(None)
                )
            )

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        await self._upsert(key, {"state": value})

    async def get_state(self, key: StorageKey) -> str | None:
        row = await self._row(key)
        return row.state if row else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        payload = json.dumps(dict(data), ensure_ascii=False) if data else None
        await self._upsert(key, {"data": payload})

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        row = await self._row(key)
        return json.loads(row.data) if row and row.data else {}

    async def close(self) -> None:
        if self._own:
            await self.db.dispose()
