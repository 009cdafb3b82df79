"""The Zalo OA channel: `POST /webhooks/zalo` in, ZaloSender out, on the shared core.

Zalo wants a 200 within about two seconds or it retries (and may disable the webhook), so the
handler only verifies the event and stores it in the inbox (bot/inbox.py) before answering;
while the database is unreachable it answers 503 and Zalo delivers again. The inbox worker
hands stored events back to `_process`: one user's in arrival order, across restarts.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from datetime import datetime
from typing import Any

import aiohttp
from aiohttp import web

from bot.channels.base import ChannelDeps, Pace, SendError, Unreachable
from bot.channels.zalo.client import ZaloApi
from bot.channels.zalo.held import enqueue_held_notice
from bot.channels.zalo.quotes import ZaloQuotes
from bot.channels.zalo.repository import ZaloConversations, numbered_payload
from bot.channels.zalo.sender import ZaloSender
from bot.channels.zalo.settings import CHANNEL, PACE, ZaloConfig, zalo_config
from bot.channels.zalo.tokens import ZaloTokens
from bot.channels.zalo.webhook import (
    SIGNATURE_HEADER,
    Verdict,
    ZaloEvent,
    event_time,
    interpret,
    verify,
)
from bot.db.errors import DatabaseUnavailable
from bot.inbox import InboxItem, InboxWorker
from handlers.messages import IncomingMessage

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/zalo"
_MAX_PAYLOAD_BYTES = 64


class ZaloChannel:
    """bot.channels.base.Channel for Zalo OA. Build inside a running event loop (it owns an
    aiohttp ClientSession unless one is given)."""

    name = CHANNEL
    pace: Pace = PACE

    def __init__(
        self, config: ZaloConfig, deps: ChannelDeps, *, http: aiohttp.ClientSession | None = None
    ) -> None:
        if not config.has_tokens:
            log.warning("zalo: no BOT_ZALO_ACCESS_TOKEN/REFRESH_TOKEN; replies will fail")
        db, ui, clock = deps.db, deps.ui, deps.clock
        self.config, self.db, self.ui, self.clock = config, db, ui, clock
        self.handle, self.is_payload_prefix = deps.handle, deps.is_payload_prefix
        self.metrics = deps.metrics
        self.officer_chat, self.tz = deps.settings.officer_chat, deps.settings.tz
        self.app_id = config.app_id
        self._oa_secret = config.oa_secret
        self._owns_http = http is None
        self.http = http or aiohttp.ClientSession()
        self.conversations = ZaloConversations(db)
        self.tokens = ZaloTokens(db, config.tokens, clock, self.http)
        self.api = ZaloApi(self.http, self.tokens, config.api_base)
        settings = deps.settings
        officers = {i.partition(":")[2] for i in settings.officer_ids if i.startswith("zalo:")}
        if settings.officer_chat is not None and settings.officer_chat.channel == CHANNEL:
            officers.add(settings.officer_chat.chat_id)
        self.quotes = ZaloQuotes(db, frozenset(officers))
        self.sender = ZaloSender(self.api, self.conversations, ui, clock, self.quotes)
        self.inbox = InboxWorker(
            db,
            clock,
            CHANNEL,
            self._process,
            lease_seconds=deps.settings.inbox_lease_seconds,
            concurrency=deps.settings.inbox_concurrency,  # fits the pool (bot/config.py)
        )
        self._closing = False

    @classmethod
    def from_deps(
        cls, deps: ChannelDeps, *, http: aiohttp.ClientSession | None = None
    ) -> ZaloChannel:
        """Raises ValueError when BOT_ZALO_APP_ID / BOT_ZALO_OA_SECRET are missing."""
        config = zalo_config(deps.settings)
        if config is None:
            raise ValueError("Zalo needs BOT_ZALO_APP_ID and BOT_ZALO_OA_SECRET")
        return cls(config, deps, http=http)

    def health(self) -> dict[str, Any]:
        return {}

    async def start(self) -> None:
        """Resume the events an earlier run stored but did not finish."""
        await self.inbox.start()

    async def stop(self) -> None:
        await self.close()

    async def housekeeping(self, now: datetime) -> None:
        """Once a day, the officers get the list of users whose pushes the window holds."""
        if self.officer_chat is not None:
            await enqueue_held_notice(self.db, self.ui, self.officer_chat, self.tz, now)
        await self.quotes.prune(now)

    def routes(self) -> list[web.RouteDef]:
        return [web.post(WEBHOOK_PATH, self.webhook)]

    async def webhook(self, request: web.Request) -> web.Response:
        if self._closing:
            return web.json_response({"status": "stopping"}, status=503)
        raw = await request.read()
        verdict, event = verify(
            raw,
            request.headers.get(SIGNATURE_HEADER),
            app_id=self.app_id,
            oa_secret=self._oa_secret,
            now=self.clock.now(),
        )
        if verdict is Verdict.STALE:
            # Correctly signed but outside the time window (a replay or a late retry): dropped.
            # 200, not 401: Zalo retries non-200 answers and may disable the webhook.
            log.warning("zalo webhook event dropped: %s", verdict.value)
            return web.json_response({"dropped": verdict.value})
        if verdict is not Verdict.OK or event is None:
            log.warning("zalo webhook refused: %s", verdict.value)
            return web.json_response({"error": verdict.value}, status=401)
        interpreted = interpret(event, raw)
        if interpreted.action == "ignore" or interpreted.user_id is None:
            return web.json_response({"status": "ok"})
        try:
            key = _update_key(interpreted, event, raw)
            if not await self.inbox.store(key, interpreted.user_id, event):
                self.metrics.duplicates.labels(CHANNEL).inc()
        except DatabaseUnavailable:
            # Not stored, so not accepted: Zalo delivers it again (signed with the same time).
            log.warning("zalo webhook: database unreachable, event refused with 503")
            return web.json_response({"status": "unavailable"}, status=503)
        return web.json_response({"status": "ok"})

    async def drain(self) -> None:
        """Wait for every event accepted so far to be processed."""
        await self.inbox.drain()

    async def close(self) -> None:
        self._closing = True
        await self.inbox.stop()
        if self._owns_http:
            await self.http.close()

    async def _process(self, item: InboxItem) -> None:
        """One stored event (bot/inbox.py): handled once, then its unsent replies sent."""
        event = item.payload
        interpreted = interpret(event)
        user = interpreted.user_id
        if interpreted.action == "ignore" or user is None:
            item.skip()
            return
        if interpreted.message is not None and interpreted.message.message_id is None:
            # Deduplicated by the hash of the signed body, as stored (webhook.interpret).
            message = dataclasses.replace(interpreted.message, message_id=item.key)
            interpreted = dataclasses.replace(interpreted, message=message)
        if not item.handled:
            await self._handle(item, interpreted, event_time(event))
        try:
            for reply in item.unsent():
                await self.sender.send(user, reply)
                await item.sent_one()
        except (SendError, Unreachable) as exc:
            log.warning("zalo reply not delivered: %s", exc)

    async def _handle(self, item: InboxItem, interpreted: ZaloEvent, at: datetime | None) -> None:
        user = interpreted.user_id
        assert user is not None
        now = self.clock.now()
        at = min(at or now, now)
        if interpreted.action == "unfollow":
            await self.conversations.mark_unfollowed(user, now)
            item.skip()
            return
        # A retry in this process after the database failed keeps the numbered list it read
        # (record_inbound forgets it once read).
        message: IncomingMessage | None = item.memo.get("message")
        if message is None:
            if interpreted.action == "follow":
                # [UNCERTAIN] a follow is treated as an interaction that opens the reply window.
                message = IncomingMessage(
                    CHANNEL,
                    user,
                    user,
                    text="/start",
                    message_id=f"follow:{user}:{at.timestamp()}",
                )
                inbound = await self.conversations.record_inbound(
                    user, at, message.message_id, now
                )
            else:
                assert interpreted.message is not None
                message = interpreted.message
                inbound = await self.conversations.record_inbound(
                    user, at, message.message_id, now
                )
                message = self._as_button(message, inbound.numbered)
            if inbound.seen_before:
                item.skip()
                return
            if interpreted.quote_id is not None and message.kind == "text":
                quoted = await self.quotes.quoted(user, interpreted.quote_id)
                if quoted is not None:
                    message = dataclasses.replace(message, reply_to_text=quoted)
            item.memo["message"] = message
        await item.dispatch(self.handle, message)

    def _as_button(
        self, message: IncomingMessage, numbered: list[dict[str, Any]] | None
    ) -> IncomingMessage:
        """A tapped oa.query.hide button or a digit answering a numbered list is a press."""
        if message.kind != "text" or not message.text:
            return message
        text = message.text.strip()
        payload = numbered_payload(numbered, text)
        if payload is None and self._looks_like_payload(text):
            payload = text
        if payload is None:
            return message
        return IncomingMessage(
            message.channel,
            message.user_id,
            message.chat_id,
            payload=payload,
            kind="button",
            message_id=message.message_id,
        )

    def _looks_like_payload(self, text: str) -> bool:
        prefix, sep, action = text.partition(":")
        return (
            bool(sep and action)
            and len(text.encode()) <= _MAX_PAYLOAD_BYTES
            and not any(ch.isspace() for ch in text)
            and self.is_payload_prefix(prefix)
        )


def _update_key(interpreted: ZaloEvent, event: dict[str, Any], raw: bytes) -> str:
    """The event's dedup key: its message id (`msg_id`, else the signed body's hash, see
    webhook.interpret), or for a follow/unfollow its kind, user and timestamp."""
    message = interpreted.message
    if message is not None and message.message_id is not None:
        return message.message_id
    if interpreted.action in ("follow", "unfollow"):
        return f"{interpreted.action}:{interpreted.user_id}:{event.get('timestamp')}"
    return "body:" + hashlib.sha256(raw).hexdigest()[:40]
