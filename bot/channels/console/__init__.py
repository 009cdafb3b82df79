"""The console channel: `python -m bot chat` reads stdin (io.py); pushes print (sender.py).

It has no tables and no HTTP routes. In `run` there is no console to print to, so its outbox
rows wait for `reminders dispatch`, which prints them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.channels.base import ChannelDeps, ChannelSpec, Pace
from bot.channels.console.sender import CHANNEL, PrintSender

if TYPE_CHECKING:
    from aiohttp import web  # `chat` never imports aiohttp (~0.1 s)


class ConsoleChannel:
    name = CHANNEL
    pace = Pace()

    def __init__(self, sender: PrintSender) -> None:
        self.sender = sender

    def routes(self) -> Sequence[web.RouteDef]:
        return ()

    def health(self) -> dict[str, Any]:
        return {}

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def housekeeping(self, now: datetime) -> None:
        return None


def build(deps: ChannelDeps) -> ConsoleChannel | None:
    return None if deps.console_out is None else ConsoleChannel(PrintSender(deps.console_out))


SPEC = ChannelSpec(name=CHANNEL, pace=ConsoleChannel.pace, build=build)
