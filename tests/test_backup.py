"""Backups: `python -m bot.ops backup` writes a consistent SQLite snapshot while the bot writes, and the
restore drill puts it back row for row. SQLite's online backup API does the copying."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine, insert

from bot.ops import main
from db.migrate import upgrade
from db.models import AuditLog, DigestNews
from tests.populate import dump, populate, run_on, table_row

ROOT = Path(__file__).resolve().parent.parent
ROWS = 300
PAIR = (AuditLog.__table__, DigestNews.__table__)  # written together, one transaction a pair


def ops(*args: str) -> subprocess.CompletedProcess[str]:
    """The command as an operator (or cron) runs it, in its own process."""
    return subprocess.run(
        [sys.executable, "-m", "bot.ops", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


class Writer(threading.Thread):
    """Another connection writing all the time, as the running bot would: pairs of rows, each pair in
    one transaction, so a consistent snapshot holds as many rows of one table as of the other."""

    def __init__(self, path: Path, first_ids: tuple[int, int]) -> None:
        super().__init__(daemon=True)
        self.engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 30})
        self.first_ids = first_ids
        self.written = 0
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                with self.engine.begin() as conn:
                    for table, first in zip(PAIR, self.first_ids, strict=True):
                        conn.execute(insert(table), table_row(table, self.written, {}, first))
                self.written += 1
        except BaseException as exc:
            self.error = exc
        finally:
            self.engine.dispose()

    def wait_for(self, count: int) -> None:
        for _ in range(3000):
            if self.written >= count or self.error:
                return
            self.stop.wait(0.01)


@pytest.mark.slow
def test_snapshot_while_writing_then_restore(tmp_path: Path) -> None:
    db_file = tmp_path / "data" / "bot.db"
    url = f"sqlite+aiosqlite:///{db_file}"
    db_file.parent.mkdir()
    upgrade(url)
    run_on(url, lambda conn: populate(conn, ROWS))
    base = run_on(url, dump)
    assert all(base.values()), "every table has rows"

    writer = Writer(db_file, tuple(max(r[0] for r in base[t.name]) + 1 for t in PAIR))  # type: ignore[arg-type]
    writer.start()
    try:
        writer.wait_for(20)
        snapshot = tmp_path / "backups" / "bot-snapshot.db"
        done = ops("--database", url, "backup", str(snapshot))
        assert done.returncode == 0, done.stderr
        assert "integrity ok" in done.stdout
        at_snapshot = writer.written
        writer.wait_for(at_snapshot + 20)  # and the bot went on writing
    finally:
        writer.stop.set()
        writer.join(30)
    assert writer.error is None, writer.error
    assert not list(snapshot.parent.glob("*.partial"))

    snap_url = f"sqlite+aiosqlite:///{snapshot}"
    snap = run_on(snap_url, dump)
    final = run_on(url, dump)
    pair_names = {t.name for t in PAIR}
    for name, rows in base.items():
        if name not in pair_names:
            assert snap[name] == rows, name
    added = {name: len(snap[name]) - len(base[name]) for name in pair_names}
    assert len(set(added.values())) == 1, f"a pair was torn in the snapshot: {added}"
    (pairs,) = set(added.values())
    assert 20 <= pairs < writer.written, (pairs, writer.written)
    for name in pair_names:  # the snapshot is the live database as it was at one moment
        assert snap[name] == final[name][: len(snap[name])]

    # The drill: the database is lost; the snapshot is put back and the bot's schema check passes.
    for lost in db_file.parent.glob("bot.db*"):
        lost.unlink()
    restored = ops("--database", url, "restore", str(snapshot))
    assert restored.returncode == 0, restored.stderr
    assert run_on(url, dump) == snap
    upgrade(url)  # at the head already: applies nothing, fails on nothing

    # Restoring over a database keeps the one it replaces.
    again = ops("--database", url, "restore", str(snapshot))
    assert again.returncode == 0 and "before-restore" in again.stdout, again.stderr
    assert run_on(f"sqlite+aiosqlite:///{db_file}.before-restore", dump) == snap


def test_backup_refuses_postgresql_and_names_pg_dump(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--database", "postgresql+asyncpg://ccbot:pw@127.0.0.1/ccbot", "backup", "x.db"]) == 1
    assert "pg_dump --format=custom" in capsys.readouterr().err


def test_restore_refuses_a_damaged_snapshot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(b"SQLite format 3\x00" + b"\x07" * 5000)
    target = tmp_path / "bot.db"
    assert main(["--database", f"sqlite+aiosqlite:///{target}", "restore", str(damaged)]) == 1
    assert "error:" in capsys.readouterr().err
    assert not target.exists()
