"""The Telegram channel (python-telegram-bot): updates in, replies and pushes out.

channel.py (polling/webhook, per-chat order), updates.py (Update → IncomingMessage),
output.py (Reply → Bot API calls, the outbox sender), limits.py (flow control),
repository.py + models.py (its tables), settings.py (its slice of the settings and pace).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.channels.base import Channel, ChannelDeps, ChannelSpec, Pace, Sender
from bot.channels.telegram import models  # noqa: F401 - registers the channel's tables
from bot.channels.telegram.settings import PACE, telegram_config

if TYPE_CHECKING:
    from bot.channels.telegram.limits import Limits

CHANNEL = "telegram"


class TelegramPushChannel:
    """Telegram for one-shot commands (`reminders dispatch`): a sender, no updates."""

    name = CHANNEL
    pace: Pace = PACE

    def __init__(self, sender: Sender, bot: Any) -> None:
        self.sender, self._bot = sender, bot

    def routes(self) -> Sequence[web.RouteDef]:
        return ()

    def health(self) -> dict[str, Any]:
        return {CHANNEL: "push"}

    async def start(self) -> None:
        await self._bot.initialize()

    async def stop(self) -> None:
        await self._bot.shutdown()

    async def housekeeping(self, now: datetime) -> None:
        return None


def spec(limits: Limits | None = None) -> ChannelSpec:
    """The registry entry; tests pass faster `limits` than Telegram's."""

    def build(deps: ChannelDeps) -> Channel | None:
        config = telegram_config(deps.settings, limits)
        if config is None:
            return None
        from bot.channels.telegram.repository import TelegramRepository

        repo = TelegramRepository(deps.db)
        if not deps.interactive:
            from bot.channels.telegram.limits import Limits
            from bot.channels.telegram.output import standalone_sender
            from bot.pacing import pacer_for

            pace = (config.limits or Limits()).pace
            sender, bot = standalone_sender(
                config.token,
                config.base_url,
                repo,
                deps.ui,
                deps.clock.now,
                pacer=pacer_for(deps.db, CHANNEL, pace),
            )
            return TelegramPushChannel(sender, bot)
        from bot.channels.telegram.channel import TelegramChannel

        return TelegramChannel(
            config,
            handle=deps.handle,
            db=deps.db,
            ui=deps.ui,
            metrics=deps.metrics,
            clock=deps.clock,
            officer_commands=deps.officer_commands,
        )

    return ChannelSpec(
        name=CHANNEL,
        pace=PACE,
        build=build,
        check=lambda settings: None if telegram_config(settings) is None else None,
        health_when_off={CHANNEL: "off"},
    )


SPEC = spec()
