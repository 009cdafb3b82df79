"""Questions officers assign to a topic become example phrasings of that topic.

They are stored in `officer_examples` (durable, shared by every instance) and merged into the
topics whenever the answer model is built: `with_officer_examples` at start (bot/app.py) and
`add_example` after an assignment, which rebuilds the in-memory knowledge base in a worker
thread and swaps it atomically (one attribute assignment) on the App and its Dispatcher.
When `python -m bot kb build` (branch `answers`) lands, `add_example` is the one place to
point at the new build.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections import defaultdict
from typing import TYPE_CHECKING

from sqlalchemy import insert, select

from bot.db.models_officer import OfficerExample
from bot.db.types import table_of
from knowledge import KnowledgeBase
from knowledge.answers import QuestionAnswerer
from knowledge.topics import TopicSet

if TYPE_CHECKING:
    from bot.app import App

_examples = table_of(OfficerExample)
_build_lock = asyncio.Lock()


def merge_examples(kb: KnowledgeBase, extra: dict[str, list[str]]) -> KnowledgeBase:
    """A new knowledge base whose topics also have these example phrasings (unknown topics
    are skipped); `kb` itself is not changed."""
    topics = {
        t.id: dataclasses.replace(
            t, examples=tuple(dict.fromkeys((*t.examples, *extra.get(t.id, ()))))
        )
        for t in kb.topics
    }
    topic_set = TopicSet(topics)
    province = kb.provinces.get(kb.province) if kb.province else None
    qa = QuestionAnswerer(topic_set, kb.lexicon, kb.ui, province)
    return dataclasses.replace(kb, topics=topic_set, qa=qa)


async def stored_examples(app: App) -> dict[str, list[str]]:
    async with app.db.transaction() as session:
        rows = await session.execute(
            select(_examples.c.topic, _examples.c.text).order_by(_examples.c.id)
        )
        extra: dict[str, list[str]] = defaultdict(list)
        for row in rows:
            extra[str(row.topic)].append(str(row.text))
    return dict(extra)


async def with_officer_examples(app: App) -> None:
    """Rebuild the answer model with every stored officer example and swap it in."""
    async with _build_lock:
        extra = await stored_examples(app)
        if not extra:
            return
        base = app.base_kb or app.kb
        fresh = await asyncio.to_thread(merge_examples, base, extra)
        app.kb = fresh  # one assignment each: a message sees the old or the new model
        app.dispatcher.kb = fresh


async def add_example(app: App, topic: str, text: str, officer_id: str) -> None:
    """Store `text` as an example of `topic` and rebuild the answer model in the background.

    Raises KeyError for an unknown topic.
    """
    if topic not in app.kb.topics:
        raise KeyError(topic)
    async with app.db.transaction() as session:
        await session.execute(
            insert(_examples).values(
                topic=topic,
                text=text[:300],
                officer_id=officer_id,
                created_at=app.clock.now(),
            )  # fmt: skip
        )
    await with_officer_examples(app)
