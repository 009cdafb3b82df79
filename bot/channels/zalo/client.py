"""Calls to the Zalo OA Open API: consultation messages (v3.0) and file uploads (v2.0).

Auth is the `access_token` header (not a Bearer token). Answers are `{"error": 0, "data": …}`
on success and a negative `error` otherwise; -216 means the access token expired, so the call
is made again once with a refreshed token (as Chatwoot's production integration does).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import aiohttp

from bot.channels.base import OutsideWindow, RateLimited, SendError, Unreachable
from bot.channels.zalo.tokens import ZaloTokens

log = logging.getLogger(__name__)

TOKEN_EXPIRED = -216
# [UNCERTAIN for v3: confirm on a real OA] -213 "user has not followed the OA";
# -230/-232 "user has not interacted with the OA recently" (outside the reply window).
UNFOLLOWED_CODES = frozenset({-213})
OUTSIDE_WINDOW_CODES = frozenset({-230, -232})
_TIMEOUT = aiohttp.ClientTimeout(total=30)
# Every OutsideWindow raised for Zalo starts with this, so held rows can be found by reason.
OUTSIDE_WINDOW_REASON = "outside the Zalo free-reply window"


class ZaloApi:
    def __init__(self, http: aiohttp.ClientSession, tokens: ZaloTokens, api_base: str) -> None:
        self.http, self.tokens = http, tokens
        self.api_base = api_base.rstrip("/")

    async def send_message(self, user_id: str, message: dict[str, Any]) -> str | None:
        """One consultation message to one user; Zalo's message id."""
        body = {"recipient": {"user_id": user_id}, "message": message}
        data = await self._call("/v3.0/oa/message/cs", json_body=body)
        return str(data["message_id"]) if data.get("message_id") is not None else None

    async def upload_file(self, path: Path, name: str) -> str:
        """Upload a PDF/DOC/DOCX; the token a file message refers to."""
        content = await asyncio.to_thread(path.read_bytes)
        data = await self._call("/v2.0/oa/upload/file", file=(name, content))
        token = data.get("token")
        if not token:
            raise SendError("zalo upload answered without a file token")
        return str(token)

    async def _call(
        self,
        path: str,
        *,
        json_body: dict[str, Any] | None = None,
        file: tuple[str, bytes] | None = None,
    ) -> dict[str, Any]:
        token = await self.tokens.access_token()
        answer = await self._post(path, token, json_body, file)
        if answer.get("error") == TOKEN_EXPIRED:
            log.info("zalo access token expired; refreshing and resending once")
            token = await self.tokens.refresh(token)
            answer = await self._post(path, token, json_body, file)
        return _data_or_raise(answer)

    async def _post(
        self,
        path: str,
        token: str,
        json_body: dict[str, Any] | None,
        file: tuple[str, bytes] | None,
    ) -> dict[str, Any]:
        headers = {"access_token": token}
        form: aiohttp.FormData | None = None
        if file is not None:
            form = aiohttp.FormData()
            form.add_field("file", file[1], filename=file[0])
        try:
            async with self.http.post(
                f"{self.api_base}{path}",
                json=json_body,
                data=form,
                headers=headers,
                timeout=_TIMEOUT,
            ) as resp:
                if resp.status == 429:
                    raise RateLimited(_retry_after(resp.headers.get("Retry-After")))
                if resp.status >= 500:
                    raise SendError(f"zalo answered HTTP {resp.status}")
                answer = await resp.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise SendError(f"zalo request failed: {type(exc).__name__}") from exc
        if not isinstance(answer, dict):
            raise SendError("zalo answered something that is not a JSON object")
        return answer


def _data_or_raise(answer: dict[str, Any]) -> dict[str, Any]:
    code = answer.get("error", 0)
    try:
        code = int(code)
    except (TypeError, ValueError):
        code = -1
    if code == 0:
        data = answer.get("data")
        return data if isinstance(data, dict) else {}
    message = str(answer.get("message", ""))[:200]
    if code in UNFOLLOWED_CODES:
        raise Unreachable(f"zalo error {code}: {message}")
    if code in OUTSIDE_WINDOW_CODES:
        raise OutsideWindow(f"{OUTSIDE_WINDOW_REASON} (zalo error {code}: {message})")
    raise SendError(f"zalo error {code}: {message}")


def _retry_after(value: str | None) -> float:
    try:
        return max(1.0, float(value or 5))
    except ValueError:
        return 5.0
