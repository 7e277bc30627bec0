"""`python -m bot.ops sqlite-to-postgres`: every row of every table arrives, unchanged; new rows get
fresh ids afterwards; a non-empty target is refused. PostgreSQL only (TEST_DATABASE_URL).

Synchronous: the command migrates both databases with Alembic, whose async env calls asyncio.run.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import insert

from bot.ops import main
from db.migrate import upgrade
from db.models import Base, User
from tests.conftest import PG_URL
from tests.populate import dump, populate, run_on, table_row

pytestmark = pytest.mark.skipif(not PG_URL, reason="PostgreSQL only (TEST_DATABASE_URL)")

ROWS = 40


@pytest.fixture
def populated_sqlite(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path}/bot.db"
    upgrade(url)  # the schema the migrations make, as in a real installation
    run_on(url, lambda conn: populate(conn, ROWS))
    return url


def test_a_populated_database_moves_row_for_row(
    populated_sqlite: str, empty_pg: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = run_on(populated_sqlite, dump)
    assert set(before) == {t.name for t in Base.metadata.sorted_tables}
    assert all(len(rows) >= ROWS for rows in before.values()), "every table has rows"
    total = sum(len(rows) for rows in before.values())

    assert main(["sqlite-to-postgres", str(tmp_path / "bot.db"), empty_pg]) == 0
    assert f"moved {total} rows in {len(before)} tables" in capsys.readouterr().out

    after = run_on(empty_pg, dump)
    for name, rows in before.items():
        assert after[name] == rows, name
    # The sequences continue after the moved ids: the bot's next insert does not collide.
    new_user = table_row(User.__table__, ROWS + 7, {})
    del new_user["id"]
    new_id = run_on(
        empty_pg,
        lambda conn: conn.scalar(insert(User.__table__).values(new_user).returning(User.__table__.c.id)),
    )
    assert new_id == max(row[0] for row in before["users"]) + 1


def test_a_non_empty_target_is_refused(
    populated_sqlite: str, empty_pg: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sqlite-to-postgres", str(tmp_path / "bot.db"), empty_pg]) == 0
    capsys.readouterr()
    assert main(["sqlite-to-postgres", str(tmp_path / "bot.db"), empty_pg]) == 1
    err = capsys.readouterr().err
    assert "not empty" in err and f"users: {ROWS}" in err
    assert len(run_on(empty_pg, dump)["users"]) == ROWS  # nothing was copied twice
