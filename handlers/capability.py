"""The shape of one capability (menu, faq, eligibility, intake, reminders, officer)."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping

from handlers.context import Context
from handlers.messages import Reply
from handlers.ownership import RecordKind

CommandHandler = Callable[[Context, str], Awaitable[list[Reply]]]


class StaleButton(Exception):  # noqa: N818 - reads as a condition, like StopIteration
    """A button press that no longer fits the conversation (old menu, finished flow)."""


class Capability:
    """Base class: a capability owns a payload prefix, optional commands and its flow.

    `name` is both the payload prefix (`name:action`) and the flow id stored in the state.
    """

    name: str = ""
    # Payload verbs (`name:verb:<id>`) and commands (`/cmd <id> …`) that carry a record id,
    # with the kind of record: the core lets them through only for its owner or an officer
    # (handlers/ownership.py). Every id-carrying payload or command must be declared here.
    id_payloads: Mapping[str, RecordKind] = {}
    id_commands: Mapping[str, RecordKind] = {}

    def commands(self) -> Mapping[str, CommandHandler]:
        """Slash commands (without the slash) this capability answers, e.g. {"hoso": ...}."""
        return {}

    async def start(self, ctx: Context) -> list[Reply]:
        """Entered from the main menu."""
        raise StaleButton

    async def on_payload(self, ctx: Context, action: str) -> list[Reply]:
        """A button with payload `name:action` was pressed."""
        if action == "start":
            return await self.start(ctx)
        raise StaleButton

    async def on_text(self, ctx: Context, text: str) -> list[Reply]:
        """Free text while the user's state is in this capability's flow."""
        raise StaleButton

    async def on_cancel(self, ctx: Context) -> list[Reply] | None:
        """/huy inside this flow; None lets the core leave the flow at once (answers kept)."""
        return None

    async def on_attachment(self, ctx: Context) -> list[Reply] | None:
        """A photo, voice note, file… inside this flow; None gives the default polite reply."""
        return None

    async def on_edit(self, ctx: Context, text: str) -> list[Reply] | None:
        """An edited message (`ctx.message.platform_message_id` names it) with its new `text`:
        replies when it corrected an answer of this flow (handlers/corrections.py), None lets
        the core read it as new text."""
        return None

    async def on_free_text(self, ctx: Context, text: str) -> list[Reply] | None:
        """Any typed text before the flow or the faq gets it; replies claim it, None passes.

        For what no flow can own: an officer replying to a ticket, "tôi muốn gặp cán bộ",
        "nhắc tôi ngày 15/6 …" (a reminder request at the menu, in the FAQ or in a flow).
        """
        return None


def officer_only(handler: CommandHandler) -> CommandHandler:
    """Wrap an officer command: anyone else gets a polite refusal and nothing happens."""

    @functools.wraps(handler)
    async def guarded(ctx: Context, argument: str) -> list[Reply]:
        if not ctx.user.is_officer:
            return [Reply(ctx.text("core.officer_only"))]
        return await handler(ctx, argument)

    guarded.officer_only = True  # type: ignore[attr-defined]
    return guarded


def is_officer_command(handler: CommandHandler) -> bool:
    """True for a handler wrapped by `officer_only` (listed in the officers' /giup)."""
    return bool(getattr(handler, "officer_only", False))
