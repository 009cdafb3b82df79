"""Routes one message to the capability that owns it and returns the replies."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import replace

from handlers.capability import Capability, CommandHandler, StaleButton, is_officer_command
from handlers.context import Context
from handlers.menu import main_menu
from handlers.messages import Reply
from handlers.ownership import RecordKind, may_use, record_id
from knowledge.text_edge import edge_text

log = logging.getLogger(__name__)

# Telegram caps a message at 4,096 characters; anything longer is not a question.
MAX_TEXT_LENGTH = 4000
_BUILTIN_ALIASES = {"huy": "huy", "hủy": "huy", "menu": "menu", "giup": "giup", "giúp": "giup"}


def clean_text(raw: str | None) -> str:
    """The core's one text normal form (knowledge.text_edge.edge_text): NFC, Unicode spaces
    and line breaks become spaces, zero-width/bidi/control characters dropped, Unicode digits
    ASCII, trimmed."""
    return edge_text(raw)


def _has_words(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


class Core:
    """The channel-agnostic dispatcher core: `await core.route(ctx)` gives the replies."""

    def __init__(self, capabilities: Iterable[Capability]) -> None:
        self._caps: dict[str, Capability] = {}
        self._commands: dict[str, CommandHandler] = {}
        self._id_commands: dict[str, RecordKind] = {}
        for cap in capabilities:
            if cap.name in self._caps:
                raise ValueError(f"two capabilities named {cap.name!r}")
            self._caps[cap.name] = cap
            for command, handler in cap.commands().items():
                if command in self._commands:
                    raise ValueError(f"command /{command} registered twice")
                self._commands[command] = handler
            self._id_commands.update(cap.id_commands)

    def capability(self, name: str) -> Capability | None:
        return self._caps.get(name)

    def officer_commands(self) -> list[str]:
        """The officers' slash commands (those wrapped by `officer_only`), in declared order;
        their one-line descriptions are the UI texts `commands.<name>`."""
        return [name for name, handler in self._commands.items() if is_officer_command(handler)]

    def officer_help(self, ctx: Context) -> Reply:
        """/giup for an officer: their commands with one line each, and the web address."""
        lines = [ctx.text("officer.help_title")]
        lines += [f"/{c} — {ctx.text(f'commands.{c}')}" for c in self.officer_commands()]
        if ctx.config.web_url:
            lines.append(ctx.text("officer.help_web", url=ctx.config.web_url))
        lines.append(ctx.text("officer.help_owner_part"))
        return Reply("\n".join(lines))

    def capabilities(self) -> list[Capability]:
        return list(self._caps.values())

    async def _refusal(
        self, ctx: Context, kind: RecordKind | None, raw: str, *, button: bool
    ) -> list[Reply] | None:
        """None when the id in `raw` may be used (handlers/ownership.py), else the polite reply.

        Nothing of the record is shown: a foreign id reads like an old button or an unknown id.
        """
        if kind is None:
            return None
        if kind == "officer" and not ctx.user.is_officer:
            key = "core.officer_only_button" if button else "core.officer_only"
            return [Reply(ctx.text(key))]
        ident = record_id(raw)
        if ident is None:
            # Commands show their own usage for a missing id; a button without one is stale.
            return [main_menu(ctx, ctx.text("core.stale_button"))] if button else None
        if await may_use(ctx, kind, ident):
            return None
        log.info("refused a %s id that is not the user's", kind)
        key = "core.stale_button" if button else "core.not_found"
        return [main_menu(ctx, ctx.text(key))]

    async def route(self, ctx: Context) -> list[Reply]:
        msg = ctx.message
        if msg.payload is not None:
            return await self._press(ctx, msg.payload)
        edited = msg.kind == "edited" and bool(msg.text)
        if edited:
            # A correction: the flow it answered re-applies it (below); otherwise new text.
            msg = replace(msg, kind="text")
            ctx.message = msg
        if msg.kind not in ("text", "contact"):
            return await self._attachment(ctx)
        text = clean_text(msg.text if msg.kind == "text" else msg.contact_phone)
        if msg.kind == "text" and msg.text != text:
            # Handlers that read the message itself (tickets) see the same normal form.
            ctx.message = replace(msg, text=text)
        if not text:
            return [main_menu(ctx, ctx.text("core.empty"))]
        if len(text) > MAX_TEXT_LENGTH:
            return [main_menu(ctx, ctx.text("core.too_long", limit=f"{MAX_TEXT_LENGTH:,}"))]
        command = self._command_of(text)
        if command is not None:
            return await self._command(ctx, command, text)
        if edited:
            corrected = await self._correction(ctx, text)
            if corrected is not None:
                return corrected
        if not _has_words(text):
            return [main_menu(ctx, ctx.text("core.no_words"))]
        for cap in self._caps.values():
            claimed = await cap.on_free_text(ctx, text)
            if claimed is not None:
                return claimed
        flow = self._caps.get(ctx.state.flow or "")
        if flow is not None:
            return await flow.on_text(ctx, text)
        return await self._caps["faq"].on_text(ctx, text)

    async def _correction(self, ctx: Context, text: str) -> list[Reply] | None:
        """An edited message given to the flow it may have answered: the current flow, or
        outside any flow each capability (a finished eligibility check re-evaluates)."""
        current = self._caps.get(ctx.state.flow or "")
        for cap in [current] if current is not None else self._caps.values():
            replies = await cap.on_edit(ctx, text)
            if replies is not None:
                return replies
        return None

    def _command_of(self, text: str) -> str | None:
        head = text.split(maxsplit=1)[0].lower()
        if head.startswith("/"):
            return head[1:].split("@", 1)[0]
        if " " not in text and head in _BUILTIN_ALIASES:
            return _BUILTIN_ALIASES[head]
        return None

    async def _command(self, ctx: Context, command: str, text: str) -> list[Reply]:
        argument = text.split(maxsplit=1)[1] if " " in text else ""
        if command in ("start", "menu"):
            ctx.state.leave()
            key = "core.greeting" if command == "start" else "core.menu"
            return [main_menu(ctx, ctx.text(key))]
        if command == "giup":
            if ctx.user.is_officer:
                return [self.officer_help(ctx)]
            return [main_menu(ctx, ctx.text("core.help"))]
        if command == "huy":
            return await self._cancel(ctx)
        handler = self._commands.get(command)
        if handler is None:
            return [main_menu(ctx, ctx.text("core.unknown_command", command=command))]
        kind = self._id_commands.get(command)
        refusal = await self._refusal(ctx, kind, argument, button=False)
        if refusal is not None:
            return refusal
        return await handler(ctx, argument)

    async def _cancel(self, ctx: Context) -> list[Reply]:
        flow = self._caps.get(ctx.state.flow or "")
        if flow is None:
            ctx.state.leave()
            return [main_menu(ctx, ctx.text("core.nothing_to_cancel"))]
        replies = await flow.on_cancel(ctx)
        if replies is not None:
            return replies
        ctx.state.leave()
        return [main_menu(ctx, ctx.text("core.cancelled"))]

    async def _press(self, ctx: Context, payload: str) -> list[Reply]:
        prefix, _, action = payload.partition(":")
        cap = self._caps.get(prefix)
        if cap is not None and action:
            verb, _, rest = action.partition(":")
            refusal = await self._refusal(ctx, cap.id_payloads.get(verb), rest, button=True)
            if refusal is not None:
                return refusal
            try:
                return await cap.on_payload(ctx, action)
            except StaleButton:
                pass
        log.info("stale or unknown button payload (prefix %r)", prefix[:20])
        return [main_menu(ctx, ctx.text("core.stale_button"))]

    async def _attachment(self, ctx: Context) -> list[Reply]:
        flow = self._caps.get(ctx.state.flow or "")
        if flow is not None:
            replies = await flow.on_attachment(ctx)
            if replies is not None:
                return replies
        return [Reply(ctx.text("core.attachment"))]
