"""The Zalo OA channel: `POST /webhooks/zalo` in, the OA API out, within Zalo's reply window.

channel.py (webhook → core → sender), webhook.py (signature, event → IncomingMessage),
sender.py (Reply → OA messages), client.py (OA API calls), tokens.py (single-flight token
refresh), held.py (pushes the window holds, reported to officers), repository.py + models.py
(its tables), settings.py (its slice of the settings and pace).
"""

from __future__ import annotations

from bot.channels.base import Channel, ChannelDeps, ChannelSpec
from bot.channels.zalo import models  # noqa: F401 - registers the channel's tables
from bot.channels.zalo.settings import CHANNEL, PACE, zalo_config


def build(deps: ChannelDeps) -> Channel | None:
    if zalo_config(deps.settings) is None:
        return None
    from bot.channels.zalo.channel import ZaloChannel

    return ZaloChannel.from_deps(deps)  # owns an aiohttp session: built inside the loop


SPEC = ChannelSpec(name=CHANNEL, pace=PACE, build=build)
