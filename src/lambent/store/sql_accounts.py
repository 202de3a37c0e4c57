"""Which account a row of Lambda's tables belongs to: the ``account`` column, first in each key.

``SqlStore`` is bound to one account (``of_account`` gives the view of another over the same
engine); every query of an account's resources filters on it and every insert sets it, so one
account's functions, layers and settings are never another's (decision 0024).

A data directory made before the column is upgraded at ``open``: each of these tables without
it is rebuilt with the column, its rows kept and given the server's default account, the only
account that could own them. SQLite cannot add a key column in place, so the rows are read, the
table dropped and made anew from the model, and the rows written back, all in one transaction.
These tables are small (functions and their settings, layers, configs); the Alembic migrations
of #21 take over from here.
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
    if not stale:
        return []
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
    names = [table.name for table in stale]
    log.info("data directory upgraded: %s now keyed by account (their rows are account %s's)", ", ".join(names), default_account)
    return names
