"""Gives the knowledge base its built answer models (trained classifier, example embeddings)
from `BOT_MODELS_DIR`, building them once when the files under knowledge/ changed."""

from __future__ import annotations

import logging
import time

from bot.config import Settings
from knowledge import KnowledgeBase
from knowledge.search.models import AnswerModels

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
