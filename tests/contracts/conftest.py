"""Storage contracts: each module tests one repository through the Protocol handlers use.

The same tests run on SQLite and, with BOT_TEST_DATABASE_URL, on PostgreSQL: the `store`
fixture opens a unit of work on the `database_url` fixture of tests/conftest.py (the aiogram
storage-test pattern: one suite, parametrised by the database).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

import pytest

from bot.db.engine import Database
from bot.db.repositories import CoreRepository, SqlStore
from tests.conftest import START

T = TypeVar("T")
Unit = Callable[[Callable[[SqlStore], Awaitable[T]]], Awaitable[T]]


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


@pytest.fixture
def unit(db: Database) -> Callable[..., Awaitable[Any]]:
    """`await unit(lambda store: ...)`: run it in one committed transaction at START."""

    async def run(work: Callable[[SqlStore], Awaitable[Any]], now: datetime = START) -> Any:
        async with db.transaction() as session:
            return await work(SqlStore(session, now))

    return run


@pytest.fixture
def new_user(db: Database) -> Callable[[str], Awaitable[int]]:
    async def make(external_id: str, channel: str = "console") -> int:
        async with db.transaction() as session:
            return await CoreRepository(session).upsert_user(channel, external_id, None, START)

    return make
