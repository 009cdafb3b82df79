"""Reply → Bot API calls: split texts, inline keyboards, contact keyboards, documents.

`TelegramSender` is the same output seen by the outbox (bot/channels/base.Sender).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.constants import ChatAction, MessageLimit
from telegram.error import Forbidden, RetryAfter, TelegramError
from telegram.ext import ExtBot

from bot.channels.base import RateLimited, SendError, Unreachable
from bot.channels.telegram.limits import Limits, TelegramLimiter, retry_seconds
from bot.channels.telegram.repository import TelegramRepository
from bot.channels.telegram.updates import CHANNEL, split_address
from bot.channels.text import split_text as split_pieces
from bot.metrics import Metrics
from bot.pacing import Pacer
from handlers.messages import Attachment, Button, Document, Reply
from knowledge.ui import UiTexts

log = logging.getLogger(__name__)

TEXT_LIMIT = MessageLimit.MAX_TEXT_LENGTH  # 4,096 characters
# Short labels share a row (up to this many characters and buttons), long ones get their own.
_ROW_CHARS = 24
_ROW_BUTTONS = 3
_PHOTO_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp"})
_VOICE_SUFFIXES = frozenset({".ogg", ".oga", ".opus"})
Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Chunks under Telegram's limit, cut at paragraph breaks, else line breaks, else spaces."""
    return split_pieces(text, limit, min_cut=limit // 4 + 1)


def button_rows(buttons: Sequence[Button]) -> list[list[Button]]:
    rows: list[list[Button]] = []
    for button in buttons:
        row = rows[-1] if rows else None
        if (
            row is not None
            and len(row) < _ROW_BUTTONS
            and sum(len(b.label) for b in row) + len(button.label) <= _ROW_CHARS
            and len(row[0].label) + len(button.label) <= _ROW_CHARS
        ):
            row.append(button)
        else:
            rows.append([button])
    return rows


class TelegramOutput:
    """Sends replies to chats; every call goes through the bot's rate limiter."""

    def __init__(
        self,
        bot: ExtBot[Any],
        repo: TelegramRepository,
        ui: UiTexts,
        metrics: Metrics,
        now: Callable[[], datetime],
    ) -> None:
        self.bot, self.repo, self.ui, self.metrics, self.now = bot, repo, ui, metrics, now
        # Chats showing the "send phone number" keyboard, removed with the next plain reply.
        self._contact_keyboard: set[str] = set()

    async def inline_keyboard(self, buttons: Sequence[Button]) -> InlineKeyboardMarkup:
        now = self.now()
        rows = []
        for row in button_rows(buttons):
            rows.append(
                [
                    InlineKeyboardButton(
                        b.label, callback_data=await self.repo.callback_data(b.payload, now)
                    )
                    for b in row
                ]
            )
        return InlineKeyboardMarkup(rows)

    async def _markup(self, chat_id: str, reply: Reply) -> Markup | None:
        if reply.request_contact:
            self._contact_keyboard.add(chat_id)
            label = self.ui.text("telegram.share_phone")
            return ReplyKeyboardMarkup(
                [[KeyboardButton(label, request_contact=True)]],
                resize_keyboard=True,
                one_time_keyboard=True,
            )
        if reply.buttons:
            return await self.inline_keyboard(reply.buttons)
        if chat_id in self._contact_keyboard:
            self._contact_keyboard.discard(chat_id)
            return ReplyKeyboardRemove()
        return None

    async def send(
        self, chat_id: str, reply: Reply, limits: dict[str, Any] | None = None
    ) -> list[str]:
        """Text chunks (the keyboard on the last one), then documents; the Bot API
        `message_id`s of the messages sent, in order. Raises TelegramError.

        `chat_id` may name a forum topic as `chat:thread` (updates.split_address): every
        message then goes to that topic (`message_thread_id`).
        """
        chat, thread = split_address(chat_id)
        where: dict[str, Any] = {"message_thread_id": thread} if thread is not None else {}
        chunks = split_text(reply.text)
        if not chunks and not reply.documents:
            chunks = [self.ui.text("telegram.empty_reply")]
        markup = await self._markup(chat_id, reply)
        ids: list[str] = []
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            sent = await self.bot.send_message(
                chat,
                chunk,
                reply_markup=markup if last else None,
                rate_limit_args=limits,
                **where,
            )
            ids.append(str(sent.message_id))
            self.metrics.messages_out.labels(CHANNEL).inc()
        if reply.request_contact and reply.buttons:
            # One message carries one keyboard: the choices follow under the contact request.
            sent = await self.bot.send_message(
                chat,
                self.ui.text("telegram.or_choose"),
                reply_markup=await self.inline_keyboard(reply.buttons),
                rate_limit_args=limits,
                **where,
            )
            ids.append(str(sent.message_id))
            self.metrics.messages_out.labels(CHANNEL).inc()
        for document in reply.documents:
            ids.append(await self.send_document(chat_id, document, limits))
        return ids

    async def send_document(
        self, chat_id: str, document: Document, limits: dict[str, Any] | None = None
    ) -> str:
        """One document (or the line saying it is missing); its message id."""
        chat, thread = split_address(chat_id)
        where: dict[str, Any] = {"message_thread_id": thread} if thread is not None else {}
        await self.bot.send_chat_action(chat, ChatAction.UPLOAD_DOCUMENT, **where)
        attachment = document.attachment
        if attachment is not None:
            message = await self._send_attachment(chat, document.name, attachment, limits, where)
            self.metrics.messages_out.labels(CHANNEL).inc()
            return str(message.message_id)
        assert isinstance(document.path, str)
        try:
            content = await asyncio.to_thread(Path(document.path).read_bytes)
        except OSError:
            log.exception("document to send is missing")
            message = await self.bot.send_message(
                chat, self.ui.text("telegram.document_missing"), rate_limit_args=limits, **where
            )
            return str(message.message_id)
        message = await self.bot.send_document(
            chat, content, filename=document.name, rate_limit_args=limits, **where
        )
        self.metrics.messages_out.labels(CHANNEL).inc()
        return str(message.message_id)

    async def _send_attachment(
        self,
        chat_id: str,
        name: str,
        attachment: Attachment,
        limits: dict[str, Any] | None,
        where: dict[str, Any],
    ) -> Message:
        if attachment.channel == CHANNEL and attachment.kind != "location":
            # A file a user sent us: Telegram wants a photo's or voice note's id back through
            # the method of its own type, which the kind (or the name's extension) tells.
            suffix = Path(name).suffix.lower()
            file_id = attachment.ref
            if attachment.kind == "photo" or suffix in _PHOTO_SUFFIXES:
                return await self.bot.send_photo(chat_id, file_id, rate_limit_args=limits, **where)
            if attachment.kind == "voice" or suffix in _VOICE_SUFFIXES:
                return await self.bot.send_voice(chat_id, file_id, rate_limit_args=limits, **where)
            return await self.bot.send_document(chat_id, file_id, rate_limit_args=limits, **where)
        if attachment.is_url:
            # A file sent on another channel with a download URL: Telegram fetches it itself.
            return await self.bot.send_document(
                chat_id, attachment.ref, rate_limit_args=limits, **where
            )
        text = f"{name}: {attachment.ref}"
        return await self.bot.send_message(chat_id, text, rate_limit_args=limits, **where)

    def count_error(self, exc: TelegramError) -> None:
        if isinstance(exc, RetryAfter):
            reason = "rate_limited"
        elif isinstance(exc, Forbidden):
            reason = "forbidden"
        else:
            reason = type(exc).__name__.lower()
        self.metrics.send_errors.labels(CHANNEL, reason).inc()


class TelegramSender:
    """bot/channels/base.Sender for outbox pushes (officer notices, reminders)."""

    channel = CHANNEL

    def __init__(self, output: TelegramOutput, max_wait: float = 0.0) -> None:
        self.output = output
        # A push never waits out a 429 pause: the outbox reschedules it and moves on.
        self._limits = {"max_wait": max_wait}

    async def send(self, chat_id: str, reply: Reply) -> list[str]:
        """The Bot API message ids (TelegramOutput.send); Bot API errors as the outbox's."""
        try:
            return await self.output.send(chat_id, reply, self._limits)
        except Forbidden as exc:
            self.output.count_error(exc)
            if not chat_id.startswith("-"):
                # A private chat's id is its user's id.
                await self.output.repo.mark_unreachable(CHANNEL, chat_id, self.output.now())
            raise Unreachable(str(exc)) from exc
        except RetryAfter as exc:
            self.output.count_error(exc)
            raise RateLimited(retry_seconds(exc)) from exc
        except TelegramError as exc:
            self.output.count_error(exc)
            raise SendError(str(exc)) from exc


def standalone_sender(
    token: str,
    base_url: str,
    repo: TelegramRepository,
    ui: UiTexts,
    now: Callable[[], datetime],
    request: Any = None,
    pacer: Pacer | None = None,
) -> tuple[TelegramSender, ExtBot[Any]]:
    """A TelegramSender outside `run` (the reminders command, benchmarks), with its own limiter
    pacing through `pacer` (bot/pacing.py; default: this process alone).

    The output passes per-call limiter arguments, which only a bot with a rate limiter takes.
    Initialize the returned bot before sending and shut it down afterwards.
    """
    limiter = TelegramLimiter(Limits(), pacer=pacer)
    bot: ExtBot[Any] = ExtBot(token, base_url=base_url, rate_limiter=limiter, request=request)
    output = TelegramOutput(bot, repo, ui, Metrics(), now)
    return TelegramSender(output), bot
