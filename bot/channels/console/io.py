"""The console channel: stdin lines in, replies out as text or one JSON object per reply."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import TextIO

from bot.channels.console.sender import CHANNEL
from handlers.messages import Button, IncomingMessage, Reply
from knowledge.parsing.numbers import parse_number


def render_plain(reply: Reply) -> str:
    lines = [reply.text]
    lines += [f"[{i}] {b.label}" for i, b in enumerate(reply.buttons, start=1)]
    lines += [f"📎 {d.name} ({d.path})" for d in reply.documents]
    return "\n".join(lines) + "\n"


def render_json(reply: Reply) -> str:
    data = {k: v for k, v in reply.to_dict().items() if k in ("text", "buttons", "documents")}
    return json.dumps(data, ensure_ascii=False)


def to_message(line: str, user_id: str, buttons: tuple[Button, ...]) -> IncomingMessage:
    """A number presses that button of the latest reply; `#PAYLOAD` presses by payload."""
    stripped = line.strip()
    number = None if stripped.startswith("#") else parse_number(stripped, max_value=99)
    if number is not None and 1 <= number <= len(buttons):
        payload: str | None = buttons[number - 1].payload
    elif stripped.startswith("#") and len(stripped) > 1:
        payload = stripped[1:]
    else:
        payload = None
    if payload is not None:
        return IncomingMessage(CHANNEL, user_id, user_id, payload=payload, kind="button")
    return IncomingMessage(CHANNEL, user_id, user_id, text=line.rstrip("\r\n"))


async def run_console(
    handle: Callable[[IncomingMessage], Awaitable[list[Reply]]],
    *,
    user_id: str,
    json_mode: bool,
    stdin: TextIO,
    stdout: TextIO,
) -> None:
    buttons: tuple[Button, ...] = ()
    while True:
        line = await asyncio.to_thread(stdin.readline)
        if not line:
            return
        replies = await handle(to_message(line, user_id, buttons))
        for reply in replies:
            stdout.write((render_json(reply) + "\n") if json_mode else render_plain(reply) + "\n")
        stdout.flush()
        with_buttons = [r for r in replies if r.buttons]
        if with_buttons:
            buttons = with_buttons[-1].buttons
