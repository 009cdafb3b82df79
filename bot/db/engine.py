"""The async engine and session factory for SQLite (default) or PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


def _asyncpg_options(url: URL) -> tuple[URL, dict[str, Any]]:
    """Turn libpq's `?options=-csearch_path=x` into asyncpg `server_settings` (schemas)."""
    options = url.query.get("options")
    if not options:
        return url, {}
    settings: dict[str, str] = {}
    for part in str(options).split():
        key, _, value = part.removeprefix("-c").partition("=")
        if key and value:
            settings[key] = value
    return url.difference_update_query(["options"]), {"server_settings": settings}


class Database:
    def __init__(self, url: str | URL, *, pool_size: int = 10) -> None:
        self.url = make_url(url)
        connect_args: dict[str, Any] = {}
        kwargs: dict[str, Any] = {}
        if self.is_sqlite:
            database = self.url.database
            if database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            connect_args["timeout"] = 30
        else:
            self.url, connect_args = _asyncpg_options(self.url)
            kwargs.update(pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=False)
        # hide_parameters: an error's text (logged with its traceback) never carries the
        # bound values, which hold users' names, phones and messages.
        self.engine: AsyncEngine = create_async_engine(
            self.url, connect_args=connect_args, hide_parameters=True, **kwargs
        )
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer at a time; queueing writers here (FIFO) instead of in SQLite's
        # busy handler keeps the event loop's order and avoids "database is locked" stalls.
        self._writer: AbstractAsyncContextManager[object] = (
            asyncio.Lock() if self.is_sqlite else nullcontext()
        )

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @property
    def dialect(self) -> str:
        return self.url.get_backend_name()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One session in one transaction: committed on success, rolled back on error.

        On SQLite transactions run one at a time, so never open one inside another.
        """
        async with self._writer, self.sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def autocommit(self) -> AsyncIterator[AsyncSession]:
        """A session whose statements each commit on their own: one round trip for a single
        statement on PostgreSQL (no BEGIN/COMMIT). On SQLite the same as `transaction()`."""
        if self.is_sqlite:
            async with self.transaction() as session:
                yield session
            return
        async with self.engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            async with AsyncSession(bind=conn) as session:
                yield session

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:  # noqa: BLE001 - any failure means "not reachable"
            return False
        return True

    async def dispose(self) -> None:
        await self.engine.dispose()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers run beside the writer; busy_timeout queues writers instead of failing.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
