"""Questions officers assign to a topic become example phrasings of that topic.

They are stored in `officer_examples` (durable, shared by every instance) and merged into the
topics whenever the answer models are built (KnowledgeBase.with_examples): at start
(bot/app.py), by `kb build` and `ask` (bot/answering.with_stored_examples), and by
`add_example` after an assignment, which trains the classifier with them in a worker thread
(seconds; the dense part follows in the background) and swaps the knowledge base atomically
(one attribute assignment) on the App and its Dispatcher. The models are saved under a key
that includes the examples, so `ask` loads the same build.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from sqlalchemy import insert

from bot.answering import attach_answer_models, stored_examples
from bot.db.models_officer import OfficerExample
from bot.db.types import table_of

if TYPE_CHECKING:
    from bot.app import App

_examples = table_of(OfficerExample)
_build_lock = asyncio.Lock()


async def with_officer_examples(app: App) -> None:
    """Rebuild the answer models with every stored officer example and swap them in."""
    async with _build_lock:
        extra = await stored_examples(app.db)
        if not extra:
            return
        base = app.base_kb or app.kb
        fresh = base.with_examples(extra)
        if fresh is base:
            return
        if base.qa.models is not None:
            # The same voters as before (the classifier always; the dense part in the
            # background when the service uses it), trained with the examples.
            await asyncio.to_thread(attach_answer_models, fresh, app.settings, False, True)
        app.kb = fresh  # one assignment each: a message sees the old or the new model
        app.dispatcher.kb = fresh


async def add_example(app: App, topic: str, text: str, officer_id: str) -> None:
    """Store `text` as an example of `topic` and rebuild the answer models.

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
