"""Fixtures: a real database per test (SQLite file, or a PostgreSQL schema), settings, the app.

Set BOT_TEST_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/test to run every
database test on PostgreSQL; each test session migrates its own fresh schema and drops it.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

import bot.channels.registry  # noqa: F401 - every channel's tables on Base.metadata
from bot.app import App, build_app
from bot.clock import FrozenClock
from bot.config import Settings
from bot.db.engine import Database
from bot.db.migrate import upgrade
from bot.db.models import Base
from knowledge import load_knowledge
from tests.transcript import Chat

# Fixtures of the channel tests (fake Bot API and fake Zalo, the service pointed at them).
pytest_plugins = ["tests.telegram_harness", "tests.zalo_fixtures"]

PG_URL = os.environ.get("BOT_TEST_DATABASE_URL", "")
# Saturday 21/11/2026 10:00 in Hà Nội: inside working hours, outside the quiet window.
START = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _no_bot_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests build their own settings; a developer's BOT_* variables must not leak in."""
    for name in list(os.environ):
        if name.startswith("BOT_") and name != "BOT_TEST_DATABASE_URL":
            monkeypatch.delenv(name)


def _with_schema(url: str, schema: str) -> str:
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture(scope="session")
def _migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Migrate once per session: a SQLite template file, or a fresh PostgreSQL schema."""
    if PG_URL:
        schema = f"t_{uuid.uuid4().hex[:12]}"

        async def create() -> None:
            admin = Database(PG_URL)
            async with admin.engine.begin() as conn:
                await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            await admin.dispose()
            db = Database(_with_schema(PG_URL, schema))
            await upgrade(db)
            await db.dispose()

        async def drop() -> None:
            admin = Database(PG_URL)
            async with admin.engine.begin() as conn:
                await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            await admin.dispose()

        asyncio.run(create())
        yield _with_schema(PG_URL, schema)
        asyncio.run(drop())
    else:
        path = tmp_path_factory.mktemp("template") / "template.db"
        url = f"sqlite+aiosqlite:///{path}"

        async def create_sqlite() -> None:
            db = Database(url)
            await upgrade(db)
            await db.dispose()

        asyncio.run(create_sqlite())
        yield str(path)


@pytest.fixture
def is_postgres() -> bool:
    return bool(PG_URL)


@pytest.fixture
def database_url(_migrated_template: str, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database for this test alone."""
    if not PG_URL:
        target = tmp_path / "bot.db"
        shutil.copyfile(_migrated_template, target)
        yield f"sqlite+aiosqlite:///{target}"
        return
    yield _migrated_template

    async def truncate() -> None:
        db = Database(_migrated_template)
        names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        async with db.engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        await db.dispose()

    asyncio.run(truncate())


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture(scope="session")
def answer_models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One model folder for the whole session: the classifier is trained once (seconds) by
    the first test that needs it, then reused, as a deployment reuses its build."""
    folder = tmp_path_factory.mktemp("answer-models")
    # Built here, not by the first `chat` subprocess, whose 60 s timeout it must not eat
    # (~2–5 s on a quiet machine).
    load_knowledge().prepare_answering(folder, use_dense=False)
    return folder


@pytest.fixture
def settings(database_url: str, tmp_path: Path, answer_models_dir: Path) -> Settings:
    # Matcher + classifier: embedding every example with the dense model takes a minute on
    # a shared CI machine; tests/test_faq_vote.py covers the three-voter path.
    return Settings(
        _env_file=None,
        database_url=database_url,
        data_dir=tmp_path / "data",
        models_dir=answer_models_dir,
        answer_dense=False,
        officer_ids="telegram:9001,console:officer",
        officer_chat="telegram:-100500",
    )


@pytest.fixture
async def app(settings: Settings, clock: FrozenClock) -> AsyncIterator[App]:
    application = await build_app(settings, clock=clock, migrate=False)
    yield application
    await application.close()


@pytest.fixture
def chat(app: App) -> Chat:
    return Chat(app.dispatcher, user="owner-1")


@pytest.fixture
def subprocess_env(
    database_url: str, tmp_path: Path, answer_models_dir: Path
) -> dict[str, str]:
    """Environment for `python -m bot …` in a subprocess, on this test's database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    env.update(
        BOT_DATABASE_URL=database_url,
        BOT_DATA_DIR=str(tmp_path / "data"),
        BOT_MODELS_DIR=str(answer_models_dir),
        BOT_ANSWER_DENSE="false",
    )
    return env
