"""Which account a row of Lambda's tables belongs to: the ``account`` column, first in each key.

``SqlStore`` is bound to one account (``of_account`` gives the view of another over the same
engine); every query of an account's resources filters on it and every insert sets it, so one
account's functions, layers and settings are never another's (decision 0024).

A data directory made before the column is upgraded at ``open``: each of these tables without
it gets the column, its rows kept and given the server's default account, the only account that
could own them. Where the column is not part of the key (log events, signing profiles) it is
added in place, with that account as its default. SQLite cannot add a key column in place, so
those tables' rows are read, the table dropped and made anew from the model, and the rows
written back; these tables are small (functions and their settings, layers, configs). All in
one transaction; the Alembic migrations of #21 take over from here.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa

log = logging.getLogger("lambent.store")

#: An account id is 12 digits.
ACCOUNT_LENGTH = 12


def account_column() -> sa.Column[str]:
    return sa.Column("account", sa.String(ACCOUNT_LENGTH), primary_key=True)


class AccountScoped:
    """Mixed into the parts of ``SqlStore`` that keep an account's resources."""

    _account: str

    def _mine(self, table: sa.Table) -> sa.ColumnElement[bool]:
        return table.c.account == self._account


def upgrade(conn: sa.Connection, metadata: sa.MetaData, default_account: str) -> list[str]:
    """Give every table of *metadata* that has an ``account`` column in the model but not in the
    database that column, its rows *default_account*'s; the names of the tables upgraded. Runs
    before ``create_all``, in the caller's transaction."""
    inspector = sa.inspect(conn)
    existing = set(inspector.get_table_names())
    stale = [
        table
        for table in metadata.sorted_tables  # parents before the tables whose keys refer to them
        if "account" in table.c
        and table.name in existing
        and "account" not in {column["name"] for column in inspector.get_columns(table.name)}
    ]
    keyed = [table for table in stale if table.c.account.primary_key]
    for table in stale:
        if not table.c.account.primary_key:
            _add_column(conn, table, default_account)
    names = [table.name for table in stale]
    if names:
        log.info(
            "data directory upgraded: %s now keyed by account (their rows are account %s's)", ", ".join(names), default_account
        )
    if keyed:
        _rebuild(conn, keyed, default_account)
    return names


def _add_column(conn: sa.Connection, table: sa.Table, default_account: str) -> None:
    """``ALTER TABLE ... ADD COLUMN account ... DEFAULT`` (no rows rewritten), then the table's
    indexes that name the column. *default_account* is 12 digits (``Settings``)."""
    if not default_account.isdigit() or len(default_account) != ACCOUNT_LENGTH:
        raise ValueError(f"not an account id: {default_account!r}")
    quote = conn.dialect.identifier_preparer.quote
    column_type = table.c.account.type.compile(dialect=conn.dialect)
    conn.exec_driver_sql(f"ALTER TABLE {quote(table.name)} ADD COLUMN account {column_type} NOT NULL DEFAULT '{default_account}'")
    for index in table.indexes:
        if "account" in index.columns:
            index.create(conn)


def _rebuild(conn: sa.Connection, stale: list[sa.Table], default_account: str) -> None:
    reflected = sa.MetaData()
    olds = [sa.Table(table.name, reflected, autoload_with=conn) for table in stale]
    rows = [[dict(row._mapping) for row in conn.execute(sa.select(old))] for old in olds]
    for old in reversed(olds):  # children first: dropping a parent first would cascade to them
        old.drop(conn)
    for table, kept in zip(stale, rows, strict=True):
        table.create(conn)
        if kept:
            conn.execute(
                sa.insert(table), [{**{k: v for k, v in row.items() if k in table.c}, "account": default_account} for row in kept]
            )
