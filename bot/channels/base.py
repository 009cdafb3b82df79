"""What every channel's sender promises, and the failures it reports."""

from __future__ import annotations

from typing import Protocol

from handlers.messages import Reply


class SendError(Exception):
    """A send that may succeed if tried again later (network, server error)."""


class RateLimited(SendError):
    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited, retry after {retry_after}s")
        self.retry_after = retry_after


class Unreachable(Exception):  # noqa: N818 - a state of the recipient, not a programming error
    """The recipient blocked the bot or left: do not try again."""


class Sender(Protocol):
    channel: str

    async def send(self, chat_id: str, reply: Reply) -> None:
        """Deliver one reply; raises RateLimited, SendError or Unreachable."""
        ...


class OutsideWindow(Unreachable):
    """Zalo may only message a user within 48 hours of their last message: hold, do not drop.

    The user is not marked unreachable; the row is kept as "held" until they write again.
    """
