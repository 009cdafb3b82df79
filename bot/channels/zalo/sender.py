"""Renders a Reply as Zalo OA messages and sends them within the user's free-reply window.

Zalo shows at most 5 buttons under a message, so longer choices become a numbered text list
that the user answers with a digit (the list is remembered in the database for that). Texts
are split at paragraph boundaries; documents are uploaded and sent as file messages.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from bot.channels.base import OutsideWindow, SendError, Unreachable
from bot.channels.text import split_text as split_pieces
from bot.channels.zalo.client import OUTSIDE_WINDOW_REASON, ZaloApi
from bot.channels.zalo.quotes import ZaloQuotes
from bot.channels.zalo.repository import SendPermit, ZaloConversations
from handlers.messages import Attachment, Button, Document, Reply
from handlers.ports import Clock
from knowledge.ui import UiTexts

log = logging.getLogger(__name__)

CHANNEL = "zalo"
MAX_BUTTONS = 5
# [UNCERTAIN] one client saw error -210 above ~2,000 characters; stay under it.
MAX_TEXT = 2000
MAX_BUTTON_TITLE = 100
# Zalo accepts PDF/DOC/DOCX files up to 5 MB through /v2.0/oa/upload/file.
MAX_FILE_BYTES = 5 * 1024 * 1024


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Pieces of at most `limit` characters, cut at a paragraph, line or word where possible;
    one (empty) piece for an empty text, to carry the buttons."""
    return split_pieces(text, limit, min_cut=limit // 2) or [""]


def numbered_list(buttons: tuple[Button, ...]) -> str:
    return "\n".join(f"{i}. {b.label}" for i, b in enumerate(buttons, start=1))


def _button(b: Button) -> dict[str, Any]:
    # oa.query.hide: a tap sends the payload back as a user_send_text that the chat hides.
    return {"title": b.label[:MAX_BUTTON_TITLE], "type": "oa.query.hide", "payload": b.payload}


class ZaloSender:
    """bot.channels.base.Sender for Zalo OA (replies and outbox pushes alike)."""

    channel = CHANNEL

    def __init__(
        self,
        api: ZaloApi,
        conversations: ZaloConversations,
        ui: UiTexts,
        clock: Clock,
        quotes: ZaloQuotes | None = None,
    ) -> None:
        self.api, self.conversations, self.ui, self.clock = api, conversations, ui, clock
        self.quotes = quotes  # what officers may quote back (ticket references), if kept

    def render(self, reply: Reply) -> tuple[list[dict[str, Any]], tuple[Button, ...] | None]:
        """The text messages for `reply`, and the buttons a digit answers (numbered list)."""
        text = reply.text
        numbered: tuple[Button, ...] | None = None
        if len(reply.buttons) > MAX_BUTTONS and not reply.expects:
            numbered = reply.buttons
            text = f"{text}\n\n{numbered_list(numbered)}\n\n{self.ui.text('zalo.pick_number')}"
        messages: list[dict[str, Any]] = [{"text": piece} for piece in split_text(text)]
        if reply.buttons and numbered is None:
            # A question wanting a number never gets a numbered list (a typed "3" is the
            # answer): its buttons go out in groups of five, the rest under a short line.
            groups = [
                reply.buttons[i : i + MAX_BUTTONS]
                for i in range(0, len(reply.buttons), MAX_BUTTONS)
            ]
            for index, group in enumerate(groups):
                if index:
                    messages.append({"text": self.ui.text("zalo.more_choices")})
                messages[-1]["attachment"] = {
                    "type": "template",
                    "payload": {"buttons": [_button(b) for b in group]},
                }
        return messages, numbered

    async def send(self, chat_id: str, reply: Reply) -> list[str]:
        """Every message of `reply` within the free-reply window; Zalo's message ids, in
        order (a message Zalo answered without an id has none)."""
        messages, numbered = self.render(reply)
        count = len(messages) + len(reply.documents)
        permit = await self.conversations.prepare_send(chat_id, count, numbered, self.clock.now())
        if permit is SendPermit.UNFOLLOWED:
            raise Unreachable("the Zalo user unfollowed the OA")
        if permit is SendPermit.OUTSIDE_WINDOW:
            raise OutsideWindow(f"{OUTSIDE_WINDOW_REASON} (48 h / 8 replies)")
        delivered = 0
        ids: list[str | None] = []
        try:
            for message in messages:
                message_id = await self.api.send_message(chat_id, message)
                ids.append(message_id)
                delivered += 1
                if self.quotes is not None:
                    await self._remember(chat_id, message_id, str(message.get("text", "")))
            for document in reply.documents:
                ids.append(await self._send_document(chat_id, document))
                delivered += 1
        except (SendError, Unreachable):
            await self.conversations.release(chat_id, count - delivered, self.clock.now())
            raise
        return [i for i in ids if i is not None]

    async def _remember(self, chat_id: str, message_id: str | None, text: str) -> None:
        assert self.quotes is not None
        try:
            await self.quotes.remember(chat_id, message_id, text, self.clock.now())
        except Exception:  # noqa: BLE001 - the message is sent: never resend it for this
            log.warning("zalo: could not keep a sent message's ticket reference", exc_info=True)

    async def _send_document(self, chat_id: str, document: Document) -> str | None:
        """The file message (or the line saying why there is none); its Zalo message id."""
        attachment = document.attachment
        if attachment is not None:
            # A file a user sent on some channel (forwarded to officers): not a local file.
            text = self._remote_file_text(document.name, attachment)
            return await self.api.send_message(chat_id, {"text": text})
        assert isinstance(document.path, str)
        path = Path(document.path)
        try:
            size = (await asyncio.to_thread(path.stat)).st_size
        except OSError:
            log.error("document to send on zalo is missing")
            return await self.api.send_message(
                chat_id, {"text": self.ui.text("zalo.file_missing")}
            )
        if size > MAX_FILE_BYTES:
            return await self.api.send_message(
                chat_id, {"text": self.ui.text("zalo.file_too_large", name=document.name)}
            )
        token = await self.api.upload_file(path, document.name)
        return await self.api.send_message(
            chat_id, {"attachment": {"type": "file", "payload": {"token": token}}}
        )

    def _remote_file_text(self, name: str, attachment: Attachment) -> str:
        if attachment.is_url:
            return self.ui.text("zalo.file_link", name=name, url=attachment.ref)
        return self.ui.text("zalo.file_elsewhere", name=name, channel=attachment.channel)
