"""The channels of this service: `run`, the HTTP server, the outbox and the CLI loop over these.

Adding a channel is one package under bot/channels/ and one line here (docs/channels.md).
Importing this module also registers every channel's tables on the metadata.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.channels import console, telegram, zalo
from bot.channels.base import ChannelSpec, Pace

CHANNELS: tuple[ChannelSpec, ...] = (
    console.SPEC,
    telegram.SPEC,
    zalo.SPEC,
)


def with_channels(
    *extra: ChannelSpec, base: Iterable[ChannelSpec] = CHANNELS
) -> tuple[ChannelSpec, ...]:
    """The registry with `extra` entries added, or replacing the entry of the same name."""
    replaced = {spec.name: spec for spec in extra}
    kept = [replaced.pop(spec.name, spec) for spec in base]
    return (*kept, *replaced.values())


def default_paces(specs: Iterable[ChannelSpec] = CHANNELS) -> dict[str, Pace]:
    return {spec.name: spec.pace for spec in specs}
