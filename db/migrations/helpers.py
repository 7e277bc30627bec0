"""The column kinds and the table builder the migrations share.

A migration still lists every table, column, key and index it creates; these builders write once what
every table repeats: the id key, a reference to another table's id, UTC timestamps, JSON columns, and the
names of keys and indexes (the project's naming convention, db.base.NAMING). Migrations import this
module as ``db.migrations.helpers``: Alembic loads version files by path, not as a package.

Keep what a builder makes unchanged: installed databases were created by these migrations, and
tests/test_migrations.py compares the result with the models.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import db.base


def id_type() -> sa.types.TypeEngine[int]:
    """BIGINT, and INTEGER on SQLite (where only INTEGER primary keys autoincrement)."""
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def id_column() -> sa.Column[Any]:
    return sa.Column("id", id_type(), autoincrement=True, nullable=False)


def moment(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    """An aware UTC timestamp."""
    return sa.Column(name, db.base.UTCDateTime(timezone=True), nullable=nullable)


def json_column(name: str) -> sa.Column[Any]:
    """JSON, stored as JSONB on PostgreSQL."""
    json = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
    return sa.Column(name, json, nullable=False)


@dataclass(frozen=True)
class Reference:
    """A column holding the id of a row of ``table``; create_table adds its foreign key."""

    column: str
    table: str
    ondelete: str | None
    nullable: bool

    def as_column(self) -> sa.Column[Any]:
        return sa.Column(self.column, id_type(), nullable=self.nullable)

    def foreign_key(self, from_table: str) -> sa.ForeignKeyConstraint:
        name = op.f(f"fk_{from_table}_{self.column}_{self.table}")
        return sa.ForeignKeyConstraint([self.column], [f"{self.table}.id"], name=name, ondelete=self.ondelete)


def reference(column: str, table: str, *, ondelete: str | None = None, nullable: bool = False) -> Reference:
    return Reference(column, table, ondelete, nullable)


def create_table(
    name: str,
    *columns: sa.Column[Any] | Reference,
    primary_key: Sequence[str] = ("id",),
    unique: Mapping[str, Sequence[str]] | None = None,
    indexed: Sequence[str] = (),
    indexes: Mapping[str, Sequence[str]] | None = None,
) -> None:
    """Create table ``name`` with its keys, then its indexes.

    The keys are named by the convention: pk_<table>, fk_<table>_<column>_<referred table>. ``unique``
    and ``indexes`` map a constraint's or an index's name to its columns; each column in ``indexed``
    gets an index of its own, ix_<table>_<column>. The foreign keys are made in the order of their
    columns' names, as Alembic's autogenerate wrote them: SQLite keeps the CREATE TABLE text as made.
    """
    references = sorted((c for c in columns if isinstance(c, Reference)), key=lambda r: r.column)
    op.create_table(
        name,
        *(c.as_column() if isinstance(c, Reference) else c for c in columns),
        *(r.foreign_key(name) for r in references),
        sa.PrimaryKeyConstraint(*primary_key, name=op.f(f"pk_{name}")),
        *(sa.UniqueConstraint(*cols, name=op.f(key)) for key, cols in (unique or {}).items()),
    )
    for column in indexed:
        op.create_index(op.f(f"ix_{name}_{column}"), name, [column], unique=False)
    for index, cols in (indexes or {}).items():
        op.create_index(op.f(index), name, list(cols), unique=False)


def drop_tables(*names: str) -> None:
    """Drop the tables in the order given (dependent tables first); their indexes go with them."""
    for name in names:
        op.drop_table(name)
