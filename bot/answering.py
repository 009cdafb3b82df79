"""Gives the knowledge base its built answer models (trained classifier, example embeddings)
from `BOT_MODELS_DIR`, building them once when the files under knowledge/ or the officers'
examples (table officer_examples, assigned on the web page) changed.

`kb build`, `ask`, `chat` and `run` all merge the stored officer examples first
(`with_stored_examples`), so each answers an assigned question with its topic."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import Settings
from knowledge import KnowledgeBase
from knowledge.search.models import AnswerModels

if TYPE_CHECKING:
    from bot.db.engine import Database  # the async engine: imported only where used (`ask`)

log = logging.getLogger(__name__)


def attach_answer_models(
    kb: KnowledgeBase, settings: Settings, rebuild: bool = False, background: bool = False
) -> AnswerModels:
    """Load or build (seconds to a minute, once per change of knowledge/) and attach.
    `background` (chat, run): the embeddings of a fresh build are computed in a thread while
    the service already answers with matcher + classifier."""
    started = time.perf_counter()
    models = kb.prepare_answering(
        settings.answer_models_dir,
        use_dense=settings.answer_dense,
        rebuild=rebuild,
        background=background,
    )
    log.info(
        "answer models %s ready in %.1f s (%s)",
        models.key,
        time.perf_counter() - started,
        "3 voters" if models.has_dense else "2 voters: matcher + classifier",
    )
    return models


async def stored_examples(db: Database) -> dict[str, list[str]]:
    """The officers' examples by topic id, oldest first; {} when the table does not exist
    yet (a database never migrated, e.g. while an image builds its models)."""
    from sqlalchemy import select
    from sqlalchemy.exc import DBAPIError

    from bot.db.models_officer import OfficerExample

    extra: dict[str, list[str]] = defaultdict(list)
    try:
        async with db.transaction() as session:
            rows = await session.execute(
                select(OfficerExample.topic, OfficerExample.text).order_by(OfficerExample.id)
            )
            for topic, text in rows:
                extra[str(topic)].append(str(text))
    except (DBAPIError, OSError):
        # No table yet (never migrated) or no database reachable (an image building its
        # models): the models are built from the files alone, and say so.
        log.warning("officer examples not read (no database or no table officer_examples)")
        return {}
    return dict(extra)


def with_stored_examples(kb: KnowledgeBase, settings: Settings) -> KnowledgeBase:
    """`kb` with the officers' examples from BOT_DATABASE_URL (for the CLI: `kb build`, `ask`).

    A SQLite file is read with the standard library's sqlite3: the async engine's imports
    alone cost `ask` about half a second of its cold start."""
    scheme, _, rest = settings.database_url.partition("://")
    if scheme.split("+")[0] == "sqlite":  # sqlite+aiosqlite:///path: no SQLAlchemy import
        return kb.with_examples(_sqlite_examples(rest[1:].split("?")[0] or None))

    async def read() -> dict[str, list[str]]:
        from bot.db.engine import Database

        db = Database(settings.database_url)
        try:
            return await stored_examples(db)
        finally:
            await db.dispose()

    return kb.with_examples(asyncio.run(read()))


def _sqlite_examples(path: str | None) -> dict[str, list[str]]:
    import sqlite3

    if not path or path == ":memory:" or not Path(path).is_file():
        return {}
    extra: dict[str, list[str]] = defaultdict(list)
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            rows = conn.execute("SELECT topic, text FROM officer_examples ORDER BY id")
            for topic, text in rows:
                extra[str(topic)].append(str(text))
    except sqlite3.Error:
        log.warning("officer examples not read (no table officer_examples yet)")
        return {}
    return dict(extra)
