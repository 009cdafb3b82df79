"""The hand-written fakes: a sender that records what it was asked to deliver."""

from __future__ import annotations

from bot.channels.base import RateLimited, SendError, Unreachable
from handlers.messages import Reply


class RecordingSender:
    """A Sender at the network edge; `fail_with` makes the next sends raise."""

    def __init__(self, channel: str = "console") -> None:
        self.channel = channel
        self.sent: list[tuple[str, Reply]] = []
        self.fail_with: list[RateLimited | SendError | Unreachable] = []

    async def send(self, chat_id: str, reply: Reply) -> list[str]:
        """Records the push; its message id is `m<n>`, n counting this sender's pushes."""
        if self.fail_with:
            raise self.fail_with.pop(0)
        self.sent.append((chat_id, reply))
        return [f"m{len(self.sent)}"]
