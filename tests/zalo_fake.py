"""A fake Zalo (OA Open API + OAuth) on 127.0.0.1 that records calls, and a webhook poster."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import aiohttp
from aiohttp import web

from bot.channels.zalo.webhook import signature

APP_ID = "4210987654321"
OA_SECRET = "oa-secret-key-for-tests"
APP_SECRET = "app-secret-for-tests"
SEED_ACCESS = "A0"
SEED_REFRESH = "R0"


@dataclass
class Call:
    token: str | None
    body: dict[str, Any]


@dataclass
class FakeZalo:
    messages: list[Call] = field(default_factory=list)
    uploads: list[tuple[str | None, str, bytes]] = field(default_factory=list)
    refreshes: list[dict[str, str]] = field(default_factory=list)
    expired: set[str] = field(default_factory=set)
    live_refresh: set[str] = field(default_factory=lambda: {SEED_REFRESH})
    error_for_user: dict[str, int] = field(default_factory=dict)
    refresh_delay: float = 0.0
    message_delay: float = 0.0
    url: str = ""
    _runner: web.AppRunner | None = None

    @property
    def delivered(self) -> list[dict[str, Any]]:
        """Messages Zalo accepted (not the ones refused with -216)."""
        return [c.body for c in self.messages if c.token not in self.expired]

    def texts_to(self, user: str) -> list[str]:
        return [
            m["message"].get("text", "")
            for m in self.delivered
            if m["recipient"]["user_id"] == user
        ]

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/v3.0/oa/message/cs", self._message)
        app.router.add_post("/v2.0/oa/upload/file", self._upload)
        app.router.add_post("/v4/oa/access_token", self._refresh)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _message(self, request: web.Request) -> web.Response:
        token = request.headers.get("access_token")
        body = await request.json()
        if self.message_delay:
            await asyncio.sleep(self.message_delay)
        self.messages.append(Call(token, body))
        if token in self.expired:
            return web.json_response({"error": -216, "message": "Access token is invalid"})
        code = self.error_for_user.get(body["recipient"]["user_id"])
        if code is not None:
            return web.json_response({"error": code, "message": "refused"})
        return web.json_response({"error": 0, "data": {"message_id": f"z{len(self.messages)}"}})

    async def _upload(self, request: web.Request) -> web.Response:
        token = request.headers.get("access_token")
        if token in self.expired:
            return web.json_response({"error": -216, "message": "Access token is invalid"})
        reader = await request.multipart()
        part = await reader.next()
        assert part is not None
        assert part.name == "file"
        content = await part.read()  # type: ignore[union-attr]
        self.uploads.append((token, part.filename or "", bytes(content)))  # type: ignore[union-attr]
        return web.json_response({"error": 0, "data": {"token": f"file-{len(self.uploads)}"}})

    async def _refresh(self, request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        self.refreshes.append(form)
        if self.refresh_delay:
            await asyncio.sleep(self.refresh_delay)
        ok = (
            request.headers.get("secret_key") == APP_SECRET
            and form.get("app_id") == APP_ID
            and form.get("grant_type") == "refresh_token"
            and form.get("refresh_token") in self.live_refresh
        )
        if not ok:
            return web.json_response({"error": -14014, "error_name": "Invalid refresh token"})
        self.live_refresh.discard(form["refresh_token"])  # single-use, as on Zalo
        n = len(self.refreshes)
        self.live_refresh.add(f"R{n}")
        return web.json_response(
            {"access_token": f"A{n}", "refresh_token": f"R{n}", "expires_in": "90000"}
        )


def millis(at: datetime) -> str:
    return str(int(at.timestamp() * 1000))


def text_event(user: str, text: str, msg_id: str, at: datetime) -> dict[str, Any]:
    return {
        "app_id": APP_ID,
        "user_id_by_app": f"app-{user}",
        "event_name": "user_send_text",
        "sender": {"id": user},
        "recipient": {"id": "oa-1"},
        "message": {"text": text, "msg_id": msg_id},
        "timestamp": millis(at),
    }


async def post_event(
    http: aiohttp.ClientSession,
    url: str,
    event: dict[str, Any],
    *,
    secret: str = OA_SECRET,
    header: str | None = None,
) -> int:
    raw = json.dumps(event, ensure_ascii=False).encode()
    mac = header if header is not None else signature(APP_ID, raw, event["timestamp"], secret)
    async with http.post(
        f"{url}/webhooks/zalo",
        data=raw,
        headers={"X-ZEvent-Signature": mac, "Content-Type": "application/json"},
    ) as resp:
        return resp.status
