"""The console channel: stdin lines in, replies out as text or one JSON object per reply."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
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


def to_message(
    line: str, user_id: str, buttons: tuple[Button, ...], expects: str = ""
) -> IncomingMessage:
    """A number presses that button of the latest reply — unless that reply asked for a
    number (`Reply.expects`), when digits are the answer; `#PAYLOAD` presses by payload."""
    stripped = line.strip()
    number = None if stripped.startswith("#") or expects else parse_number(stripped, max_value=99)
    if number is not None and 1 <= number <= len(buttons):
        payload: str | None = buttons[number - 1].payload
    elif stripped.startswith("#") and len(stripped) > 1:
        payload = stripped[1:]
    else:
        payload = None
    if payload is not None:
        return IncomingMessage(CHANNEL, user_id, user_id, payload=payload, kind="button")
    return IncomingMessage(CHANNEL, user_id, user_id, text=line.rstrip("\r\n"))


class LastReply:
    """The buttons (and `expects`) of the latest reply shown to one console user, kept in a
    small JSON file so that a later `chat --user ID` process can press "1" of the reply the
    previous process showed last. No file: nothing remembered (a fresh user)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.reply: Reply | None = None
        if path is not None and path.exists():
            try:
                self.reply = Reply.from_dict(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError, KeyError, TypeError):
                self.reply = None

    @property
    def buttons(self) -> tuple[Button, ...]:
        return self.reply.buttons if self.reply else ()

    @property
    def expects(self) -> str:
        return self.reply.expects if self.reply else ""

    def remember(self, replies: list[Reply]) -> None:
        with_buttons = [r for r in replies if r.buttons]
        if not with_buttons:
            return
        self.reply = with_buttons[-1]
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            spare = self.path.with_suffix(".tmp")
            spare.write_text(json.dumps(self.reply.to_dict(), ensure_ascii=False), "utf-8")
            spare.replace(self.path)


def memory_path(data_dir: str, user_id: str) -> Path:
    """Where `chat --user ID` keeps its last reply (a file name safe for any ID)."""
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", user_id)[:60] or "user"
    return Path(data_dir) / "console" / f"{safe}.json"


async def run_console(
    handle: Callable[[IncomingMessage], Awaitable[list[Reply]]],
    *,
    user_id: str,
    json_mode: bool,
    stdin: TextIO,
    stdout: TextIO,
    memory: Path | None = None,
    greet: bool = False,
) -> None:
    """Read lines until EOF. `greet`: open with the greeting and menu (a first visit) or,
    for a user `memory` remembers, with the reply they saw last, so its numbers still work."""
    last = LastReply(memory)

    def show(replies: list[Reply]) -> None:
        for reply in replies:
            stdout.write((render_json(reply) + "\n") if json_mode else render_plain(reply) + "\n")
        stdout.flush()
        last.remember(replies)

    if greet:
        if last.reply is not None:
            show([last.reply])
        else:
            show(await handle(IncomingMessage(CHANNEL, user_id, user_id, text="/start")))
    while True:
        line = await asyncio.to_thread(stdin.readline)
        if not line:
            return
        show(await handle(to_message(line, user_id, last.buttons, last.expects)))
