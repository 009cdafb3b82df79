"""A tiny test client: say things to the dispatcher as one user and inspect the replies."""

from __future__ import annotations

import itertools
from dataclasses import replace
from typing import Any

from bot.dispatcher import Dispatcher
from handlers.messages import IncomingMessage, Reply

_ids = itertools.count(1)


class Chat:
    def __init__(self, dispatcher: Dispatcher, user: str, channel: str = "console") -> None:
        self.dispatcher, self.user, self.channel = dispatcher, user, channel
        self.replies: list[Reply] = []

    async def say(
        self, text: str, *, message_id: str | None = None, platform_id: str | None = None
    ) -> list[Reply]:
        """Type `text`; `platform_id` is the platform's message id (an edit names it)."""
        return await self._send(
            self._message(text=text, platform_message_id=platform_id), message_id
        )

    async def edit(self, platform_id: str, text: str) -> list[Reply]:
        """Edit the message typed with `platform_id` so it reads `text` (Telegram)."""
        message = self._message(text=text, kind="edited", platform_message_id=platform_id)
        return await self._send(message)

    async def press(self, payload: str) -> list[Reply]:
        return await self._send(self._message(payload=payload, kind="button"))

    def _message(self, **content: Any) -> IncomingMessage:
        return IncomingMessage(self.channel, self.user, self.user, **content)

    async def press_label(self, label: str) -> list[Reply]:
        """Press the button of the latest replies whose label contains `label`."""
        for reply in reversed(self.replies):
            for button in reply.buttons:
                if label.lower() in button.label.lower():
                    return await self.press(button.payload)
        raise AssertionError(f"no button {label!r} in {self.buttons}")

    async def send(self, message: IncomingMessage) -> list[Reply]:
        return await self._send(message)

    async def _send(self, message: IncomingMessage, message_id: str | None = None) -> list[Reply]:
        """Handle `message` under a fresh delivery id (or `message_id`), keep its replies."""
        if message.message_id is None:
            message = replace(message, message_id=message_id or f"m{next(_ids)}")
        self.replies = await self.dispatcher.handle(message)
        return self.replies

    @property
    def text(self) -> str:
        return "\n".join(r.text for r in self.replies)

    @property
    def buttons(self) -> list[str]:
        return [b.label for r in self.replies for b in r.buttons]

    @property
    def payloads(self) -> list[str]:
        return [b.payload for r in self.replies for b in r.buttons]
