"""Edited messages as corrections: which platform message each typed flow answer came from.

A flow keeps, in its own state bucket, `sources` ({step: platform message id}) and
`last_source` (the step and id of the answer given last). An edit (Telegram
`edited_message`, same message id as the original) of the last answer is re-applied to its
step; an edit of an older answer is declined politely (later steps may depend on it); an edit
of anything else is read as new text (handlers/core.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from handlers.messages import IncomingMessage

_SOURCES, _LAST = "sources", "last_source"


@dataclass(frozen=True, slots=True)
class EditedAnswer:
    """The flow step an edited message had answered; `last` when it was the latest answer."""

    step: str
    last: bool


def typed_source(message: IncomingMessage) -> str | None:
    """The platform id of a typed message (None for a button or a channel without ids)."""
    return message.platform_message_id if message.kind in ("text", "edited") else None


def note_source(bucket: dict[str, Any], step: str, source: str | None) -> None:
    """Remember that `step`'s accepted answer came from the platform message `source`.

    A typed answer (an id) becomes the latest source; a button (None) forgets the step's
    source and the latest one, so an edit of an earlier message no longer counts as the
    last answer.
    """
    sources: dict[str, str] = bucket.setdefault(_SOURCES, {})
    if source is None:
        sources.pop(step, None)
        bucket.pop(_LAST, None)
        return
    sources[step] = source
    bucket[_LAST] = {"step": step, "id": source}


def edited_answer(bucket: dict[str, Any], message: IncomingMessage) -> EditedAnswer | None:
    """The answer `message` (an edit) corrects, or None when it answered no step of this flow."""
    source = message.platform_message_id
    if source is None:
        return None
    last = bucket.get(_LAST)
    if isinstance(last, dict) and last.get("id") == source and isinstance(last.get("step"), str):
        return EditedAnswer(last["step"], last=True)
    sources = bucket.get(_SOURCES)
    if isinstance(sources, dict):
        for step, known in sources.items():
            if known == source:
                return EditedAnswer(step, last=False)
    return None
