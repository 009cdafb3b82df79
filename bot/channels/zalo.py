"""The Zalo OA channel: `POST /webhooks/zalo` in, ZaloSender out, on the shared core.

Zalo wants a 200 within about two seconds or it retries (and may disable the webhook), so the
handler only verifies and answers; the event is processed by a task kept in `_tasks` and
drained by `close()`. Events of one user are processed in arrival order.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web

from bot.channels.base import SendError, Unreachable
from bot.channels.zalo_client import ZaloApi
from bot.channels.zalo_sender import ZaloSender
from bot.channels.zalo_tokens import TokenConfig, ZaloTokens
from bot.channels.zalo_webhook import (
    SIGNATURE_HEADER,
    Verdict,
    ZaloEvent,
    event_time,
    interpret,
    verify,
)
from bot.db.zalo_repository import ZaloConversations, numbered_payload
from bot.keyed_lock import KeyedLock
from handlers.messages import IncomingMessage

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/zalo"
_MAX_PAYLOAD_BYTES = 64


def _secret(value: object) -> str:
    getter = getattr(value, "get_secret_value", None)
    return str(getter()) if getter else ""


class ZaloChannel:
    """Build inside a running event loop (it owns an aiohttp ClientSession)."""

    def __init__(self, app: App, *, http: aiohttp.ClientSession | None = None) -> None:
        settings = app.settings
        if not settings.zalo_enabled or settings.zalo_app_id is None:
            raise ValueError("Zalo needs BOT_ZALO_APP_ID and BOT_ZALO_OA_SECRET")
        if settings.zalo_access_token is None or settings.zalo_refresh_token is None:
            log.warning("zalo: no BOT_ZALO_ACCESS_TOKEN/REFRESH_TOKEN; replies will fail")
        self.app = app
        self.app_id = settings.zalo_app_id
        self._oa_secret = _secret(settings.zalo_oa_secret)
        self._owns_http = http is None
        self.http = http or aiohttp.ClientSession()
        self.conversations = ZaloConversations(app.db)
        self.tokens = ZaloTokens(
            app.db,
            TokenConfig(
                app_id=settings.zalo_app_id,
                app_secret=_secret(settings.zalo_app_secret),
                seed_access_token=_secret(settings.zalo_access_token),
                seed_refresh_token=_secret(settings.zalo_refresh_token),
                oauth_base=settings.zalo_oauth_base,
            ),
            app.clock,
            self.http,
        )
        self.api = ZaloApi(self.http, self.tokens, settings.zalo_api_base)
        self.sender = ZaloSender(self.api, self.conversations, app.kb.ui, app.clock)
        self._tasks: set[asyncio.Task[None]] = set()
        self._order = KeyedLock()
        self._closing = False

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
            now=self.app.clock.now(),
        )
        if verdict is not Verdict.OK or event is None:
            log.warning("zalo webhook refused: %s", verdict.value)
            return web.json_response({"error": verdict.value}, status=401)
        task = asyncio.create_task(self._process(event))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return web.json_response({"status": "ok"})

    async def drain(self) -> None:
        """Wait for every event accepted so far to be processed."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        self._closing = True
        await self.drain()
        if self._owns_http:
            await self.http.close()

    async def _process(self, event: dict[str, object]) -> None:
        interpreted = interpret(event)
        if interpreted.action == "ignore" or interpreted.user_id is None:
            return
        async with self._order.hold(interpreted.user_id):
            try:
                await self._handle(interpreted, event_time(event))
            except (SendError, Unreachable) as exc:
                log.warning("zalo reply not delivered: %s", exc)
            except Exception:
                log.exception("processing a zalo event failed")

    async def _handle(self, interpreted: ZaloEvent, at: datetime | None) -> None:
        user = interpreted.user_id
        assert user is not None
        now = self.app.clock.now()
        at = min(at or now, now)
        if interpreted.action == "unfollow":
            await self.conversations.mark_unfollowed(user, now)
            return
        if interpreted.action == "follow":
            # [UNCERTAIN] a follow is treated as an interaction that opens the reply window.
            message = IncomingMessage(
                "zalo", user, user, text="/start", message_id=f"follow:{user}:{at.timestamp()}"
            )
            inbound = await self.conversations.record_inbound(user, at, message.message_id, now)
            if inbound.seen_before:
                return
        else:
            message = interpreted.message
            assert message is not None
            inbound = await self.conversations.record_inbound(user, at, message.message_id, now)
            if inbound.seen_before:
                return
            message = self._as_button(message, inbound.numbered)
        for reply in await self.app.dispatcher.handle(message):
            await self.sender.send(user, reply)

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
            and self.app.core.capability(prefix) is not None
        )
