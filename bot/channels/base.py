"""What every channel promises: its sender, its place in the service, and the failures it reports.

A channel is one package under `bot/channels/` (see docs/channels.md). Its `__init__` exports
a `ChannelSpec` (name, pace, how to build it from `ChannelDeps`) that `bot/channels/registry.py`
lists; `run`, the HTTP server, the outbox and the CLI loop over that registry and never name a
channel. A channel gets explicit dependencies (`ChannelDeps`), never the whole application.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, TextIO, runtime_checkable

from handlers.messages import IncomingMessage, Reply
from handlers.ports import Clock

if TYPE_CHECKING:
    from aiohttp import web

    from bot.config import Settings
    from bot.db.engine import Database
    from bot.metrics import Metrics
    from knowledge.ui import UiTexts


class SendError(Exception):
    """A send that may succeed if tried again later (network, server error)."""


class RateLimited(SendError):
    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited, retry after {retry_after}s")
        self.retry_after = retry_after


class Unreachable(Exception):  # noqa: N818 - a state of the recipient, not a programming error
    """The recipient blocked the bot or left: do not try again."""


class OutsideWindow(Unreachable):
    """Zalo may only message a user within 48 hours of their last message: hold, do not drop.

    The user is not marked unreachable; the row is kept as "held" until they write again.
    """


class ChannelStartError(Exception):
    """A channel could not start (wrong token, platform unreachable); the message says why,
    in Vietnamese, for the operator."""


class Sender(Protocol):
    @property
    def channel(self) -> str: ...

    async def send(self, chat_id: str, reply: Reply) -> Sequence[str] | None:
        """Deliver one reply; the platform's ids of the messages it became, in order (a
        reply may be split into several; empty or None when the platform gives none; the
        outbox keeps them, issue 17). Raises RateLimited, SendError or Unreachable."""
        ...


@dataclass(frozen=True, slots=True)
class Pace:
    """How fast a channel may send (the platform's limit, see each channel); bot/pacing.py."""

    per_second: float | None = None  # sends started per second, evenly; None = no limit
    per_chat_interval: float = 0.0  # seconds between two sends to one chat
    per_chat_burst: int = 1  # sends to one chat that may go at once before the interval holds
    # Group chats (ids starting with one of `group_prefixes`) have their own, slower pace.
    group_interval: float = 0.0
    group_burst: int = 1
    group_prefixes: tuple[str, ...] = ()
    # The channel's sender paces each platform call itself (through bot.pacing), so the
    # outbox does not wait before calling it.
    paced_by_sender: bool = False

    def chat_pace(self, chat_id: str) -> tuple[float, int]:
        """(seconds between sends, burst) for one chat: a group's or a private chat's."""
        if self.group_prefixes and chat_id.startswith(self.group_prefixes):
            return self.group_interval, max(1, self.group_burst)
        return self.per_chat_interval, max(1, self.per_chat_burst)


class Handle(Protocol):
    """Dispatcher.handle: one incoming message through the core, its replies. A channel that
    stored the update in the inbox passes the inbox item as `journal` (bot/inbox.py)."""

    def __call__(
        self, message: IncomingMessage, *, journal: Any = None
    ) -> Awaitable[list[Reply]]: ...


@dataclass
class ChannelDeps:
    """Everything a channel may use; built once by `run` or a CLI command.

    `handle` runs one incoming message through the core and returns its replies;
    `is_payload_prefix` tells whether a text names a capability (a button payload typed back);
    `console_out` is where the console channel prints pushes (None: no console sender here).
    `interactive` is False for one-shot commands (no polling, no webhook registration).
    """

    settings: Settings
    db: Database
    ui: UiTexts
    clock: Clock
    handle: Handle
    metrics: Metrics
    is_payload_prefix: Callable[[str], bool] = lambda _prefix: False
    console_out: TextIO | None = None
    interactive: bool = True
    # The officers' slash commands (handlers.core.Core.officer_commands), for command menus.
    officer_commands: tuple[str, ...] = ()


@runtime_checkable
class Channel(Protocol):
    """One running channel: its sender for the outbox, its routes, its lifecycle hooks."""

    @property
    def name(self) -> str: ...

    @property
    def pace(self) -> Pace:
        """How fast the outbox may push on this channel (the platform's limit)."""
        ...

    @property
    def sender(self) -> Sender: ...

    def routes(self) -> Sequence[web.RouteDef]:
        """aiohttp routes this channel adds to the one HTTP server (may be empty)."""
        ...

    def health(self) -> dict[str, Any]:
        """Fields this channel adds to `/healthz` (may be empty)."""
        ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def housekeeping(self, now: datetime) -> None:
        """Hourly upkeep (e.g. the Zalo held-recipients notice to officers)."""
        ...


@dataclass(frozen=True, slots=True)
class ChannelSpec:
    """A registry entry: the channel's name, its outbox pace, and its factory.

    `build` returns None when the channel is not configured in these settings; it may raise
    `bot.config.ConfigError` for an inconsistent configuration. `check` validates the settings
    without building anything (run calls it before the service starts).
    """

    name: str
    pace: Pace
    build: Callable[[ChannelDeps], Channel | None]
    check: Callable[[Settings], None] = lambda _settings: None
    # What /healthz shows for this channel when it is not configured (SPEC §1 keeps
    # `"telegram": "off"`); a built channel reports through `health()`.
    health_when_off: Mapping[str, Any] = field(default_factory=dict)
