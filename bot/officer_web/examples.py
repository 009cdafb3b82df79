"""Questions officers assign to a topic become example phrasings of that topic.

They are stored in `officer_examples` (durable, shared by every instance) and merged into the
topics whenever the answer models are built (KnowledgeBase.with_examples): at start
(bot/app.py), by `kb build` and `ask` (bot/answering.with_stored_examples), and by
`add_example` after an assignment. The knowledge base with the examples is swapped in at
once (one attribute assignment on the App and its Dispatcher): it answers an assigned
question with its topic straight away (QuestionAnswerer.pin) and every other one with the
models it had; the classifier is then trained with the examples in a worker thread
(seconds; the dense part follows) and joins when ready. The models are saved under a key
that includes the examples, so `ask` loads the same build.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import TYPE_CHECKING

from sqlalchemy import insert

from bot.answering import attach_answer_models, stored_examples
from bot.db.models_officer import OfficerExample
from bot.db.types import table_of

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)
_examples = table_of(OfficerExample)
_build_lock = asyncio.Lock()


_training: set[asyncio.Task[None]] = set()


async def with_officer_examples(app: App, *, background: bool = False) -> None:
    """Merge every stored officer example, swap the knowledge base in, and train the answer
    models with them (in a background task when `background`; see `training_done`)."""
    async with _build_lock:
        extra = await stored_examples(app.db)
        if not extra:
            return
        base = app.base_kb or app.kb
        fresh = base.with_examples(extra)
        if fresh is base:
            return
        trained = base.qa.models is not None
        if trained:
            fresh.qa.use_models(app.kb.qa.models)  # until the new ones are trained
        app.kb = fresh  # one assignment each: a message sees the old or the new model
        app.dispatcher.kb = fresh
    if not trained:
        return
    # The same voters as before (the classifier; the dense part in the background when the
    # service uses it), trained with the examples; they replace the models when ready.
    job = asyncio.to_thread(attach_answer_models, fresh, app.settings, False, True)
    if not background:
        await job
        return
    task = asyncio.create_task(_train(job))
    _training.add(task)
    task.add_done_callback(_training.discard)


async def _train(job: Awaitable[object]) -> None:
    try:
        await job
    except Exception:
        log.exception("training the answer models with the officers' examples failed")


async def training_done() -> None:
    """Wait for the background trainings started so far (tests, shutdown)."""
    while _training:
        await asyncio.gather(*list(_training), return_exceptions=True)


async def add_example(app: App, topic: str, text: str, officer_id: str) -> None:
    """Store `text` as an example of `topic`: answered with it at once, and the answer
    models are retrained with it in the background.

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
    await with_officer_examples(app, background=True)
