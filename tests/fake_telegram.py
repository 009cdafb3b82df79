"""A fake Telegram Bot API on 127.0.0.1 (aiohttp): records calls, serves getUpdates, fails on cue.

Point python-telegram-bot at it with `base_url(fake.base_url)`. Methods: getMe, sendMessage,
editMessageText, editMessageReplyMarkup, answerCallbackQuery, sendDocument (multipart),
sendChatAction, setMyCommands, setWebhook, deleteWebhook, getWebhookInfo, getUpdates.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_USER = {"id": 777000, "is_bot": True, "first_name": "Trợ lý", "username": "khuyencong_bot"}
_JSON_FIELDS = {
    "reply_markup",
    "allowed_updates",
    "commands",
    "chat_id",
    "message_id",
    "offset",
    "timeout",
    "limit",
}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)

    @property
    def chat_id(self) -> str | None:
        value = self.params.get("chat_id")
        return None if value is None else str(value)

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """(label, callback_data) of an inline keyboard in this call."""
        markup = self.params.get("reply_markup") or {}
        return [
            (b["text"], b.get("callback_data", ""))
            for row in markup.get("inline_keyboard", [])
            for b in row
        ]


@dataclass
class Failure:
    method: str
    chat_id: str | None
    code: int
    description: str
    retry_after: int | None
    times: int


class FakeTelegram:
    def __init__(self, token: str = "123:TEST", *, record: bool = True) -> None:
        self.token = token
        # Benchmarks turn recording off: `on_call` still sees every call.
        self.record = record
        self.calls: list[Call] = []
        self.failures: list[Failure] = []
        self.messages: dict[tuple[str, int], dict[str, Any]] = {}
        self.on_call: Callable[[Call], None] | None = None
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._changed = asyncio.Event()
        self._pushed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # --- server -------------------------------------------------------------------------
    async def start(self) -> FakeTelegram:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        self._pushed.set()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    # --- scripting ----------------------------------------------------------------------
    def fail(
        self,
        method: str,
        *,
        chat_id: str | None = None,
        code: int = 429,
        retry_after: int | None = 1,
        times: int = 1,
        description: str = "",
    ) -> None:
        """The next `times` calls of `method` (to `chat_id`, if given) answer with an error."""
        text = description or {
            429: f"Too Many Requests: retry after {retry_after}",
            403: "Forbidden: bot was blocked by the user",
        }.get(code, "Bad Request")
        self.failures.append(Failure(method, chat_id, code, text, retry_after, times))

    def push(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for getUpdates; gives it the next update_id unless it has one."""
        update.setdefault("update_id", next(self._update_ids))
        self._updates.append(update)
        self._pushed.set()
        return update

    def made(self, method: str, chat_id: str | None = None) -> list[Call]:
        return [
            c
            for c in self.calls
            if c.method == method and (chat_id is None or c.chat_id == str(chat_id))
        ]

    async def wait_for(
        self, method: str, chat_id: str | None = None, count: int = 1, within: float = 10.0
    ) -> list[Call]:
        deadline = time.monotonic() + within
        while len(found := self.made(method, chat_id)) < count:
            if time.monotonic() > deadline:
                seen = [(c.method, c.chat_id) for c in self.calls]
                raise AssertionError(f"no {count}× {method} to {chat_id}; calls: {seen}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), 0.05)
        return found

    # --- update builders ----------------------------------------------------------------
    @staticmethod
    def user(user_id: int, name: str = "Chị Lan") -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": name}

    @staticmethod
    def chat(chat_id: int) -> dict[str, Any]:
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": "Chị Lan"}
        return {"id": chat_id, "type": "supergroup", "title": "Nhóm"}

    def message(self, user_id: int, chat_id: int | None = None, **content: Any) -> dict[str, Any]:
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self.chat(chat_id if chat_id is not None else user_id),
            "from": self.user(user_id),
            **content,
        }

    def text_update(
        self, user_id: int, text: str, chat_id: int | None = None, update_id: int | None = None
    ) -> dict[str, Any]:
        update = {"message": self.message(user_id, chat_id, text=text)}
        if update_id is not None:
            update["update_id"] = update_id
        return update

    def press_update(self, user_id: int, source: dict[str, Any], data: str) -> dict[str, Any]:
        return {
            "callback_query": {
                "id": str(next(self._message_ids)),
                "from": self.user(user_id),
                "chat_instance": "ci",
                "message": source,
                "data": data,
            }
        }

    # --- API ----------------------------------------------------------------------------
    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            params.update(await request.json())
            return params
        if request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            async for part in reader:
                if part.filename:
                    params[part.name] = {"filename": part.filename, "size": len(await part.read())}
                else:
                    params[part.name] = await part.text()
        else:
            params.update(await request.post())
        for key in _JSON_FIELDS & params.keys():
            if isinstance(params[key], str):
                with contextlib.suppress(json.JSONDecodeError):
                    params[key] = json.loads(params[key])
        return params

    async def _dispatch(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return self._error(401, "Unauthorized")
        method = request.match_info["method"]
        params = await self._params(request)
        call = Call(method, params)
        if method != "getUpdates":
            if self.record:
                self.calls.append(call)
            self._changed.set()
            if self.on_call is not None:
                self.on_call(call)
        for failure in self.failures:
            if (
                failure.method == method
                and failure.times > 0
                and (failure.chat_id is None or failure.chat_id == call.chat_id)
            ):
                failure.times -= 1
                extra = {"retry_after": failure.retry_after} if failure.code == 429 else None
                return self._error(failure.code, failure.description, extra)
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return self._error(404, f"Not Found: method {method}")
        result = await handler(params)
        if isinstance(result, web.Response):
            return result
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    def _error(
        code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
        if parameters:
            body["parameters"] = parameters
        return web.json_response(body, status=code)

    def _sent(self, chat_id: Any, **content: Any) -> dict[str, Any]:
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self.chat(int(chat_id)),
            "from": BOT_USER,
            **{k: v for k, v in content.items() if v is not None},
        }
        if self.record:
            self.messages[(str(chat_id), message["message_id"])] = message
        return message

    async def _api_getMe(self, params: dict[str, Any]) -> Any:
        return BOT_USER

    async def _api_sendMessage(self, params: dict[str, Any]) -> Any:
        markup = params.get("reply_markup")
        inline = markup if isinstance(markup, dict) and "inline_keyboard" in markup else None
        return self._sent(params["chat_id"], text=params["text"], reply_markup=inline)

    async def _api_sendDocument(self, params: dict[str, Any]) -> Any:
        document = params["document"]
        if isinstance(document, dict):
            doc = {
                "file_id": f"file-{next(self._message_ids)}",
                "file_unique_id": "u",
                "file_name": document["filename"],
                "file_size": document["size"],
            }
        else:
            doc = {"file_id": document, "file_unique_id": "u"}
        return self._sent(params["chat_id"], document=doc)

    async def _api_sendPhoto(self, params: dict[str, Any]) -> Any:
        size = {"file_id": params["photo"], "file_unique_id": "u", "width": 1, "height": 1}
        return self._sent(params["chat_id"], photo=[size])

    async def _api_sendVoice(self, params: dict[str, Any]) -> Any:
        voice = {"file_id": params["voice"], "file_unique_id": "u", "duration": 1}
        return self._sent(params["chat_id"], voice=voice)

    async def _edit(self, params: dict[str, Any], **changes: Any) -> Any:
        key = (str(params.get("chat_id")), int(params.get("message_id", 0)))
        message = self.messages.get(key)
        if message is None:
            return self._error(400, "Bad Request: message to edit not found")
        updated = {k: v for k, v in message.items() if k != "reply_markup"} | changes
        if updated == message:
            return self._error(400, "Bad Request: message is not modified")
        markup = params.get("reply_markup")
        if markup:
            updated["reply_markup"] = markup
        self.messages[key] = updated
        return updated

    async def _api_editMessageText(self, params: dict[str, Any]) -> Any:
        return await self._edit(params, text=params["text"])

    async def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> Any:
        return await self._edit(params)

    async def _api_getUpdates(self, params: dict[str, Any]) -> Any:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = min(float(params.get("timeout") or 0), 1.0)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates and timeout > 0:
            self._pushed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._pushed.wait(), timeout)
        return [u for u in self._updates if u["update_id"] >= offset][:limit]

    async def _true(self, params: dict[str, Any]) -> Any:
        return True

    _api_answerCallbackQuery = _api_sendChatAction = _api_setMyCommands = _true
    _api_setWebhook = _api_deleteWebhook = _true

    async def _api_getWebhookInfo(self, params: dict[str, Any]) -> Any:
        return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
