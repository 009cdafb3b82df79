"""In-process delivery for console users: `reminders dispatch` prints their pushes."""

from __future__ import annotations

from typing import TextIO

from handlers.messages import Reply

CHANNEL = "console"


class PrintSender:
    """bot.channels.base.Sender that writes each push to a text stream."""

    channel = CHANNEL

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self._printed = 0

    async def send(self, chat_id: str, reply: Reply) -> list[str]:
        """Print the push; its id is its number among this process's prints (`console-N`)."""
        buttons = "".join(f"\n  [{b.label}] ({b.payload})" for b in reply.buttons)
        self.out.write(f"→ console:{chat_id}\n{reply.text}{buttons}\n\n")
        self._printed += 1
        return [f"console-{self._printed}"]
