"""The Telegram channel on python-telegram-bot: updates in, the core's replies out.

Polling by default (our own getUpdates loop: each batch is stored in the inbox before the
offset that confirms it is sent); with a public URL, Telegram posts updates to our aiohttp
server, which stores each in the inbox before answering 200 (503 while the database is
unreachable, so Telegram delivers again). The inbox worker (bot/inbox.py) hands the stored
updates back here: updates of different chats are handled concurrently, one chat's strictly
in order, across restarts and replicas.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hmac
import json
import logging
from datetime import datetime
from typing import Any

from aiohttp import web
from telegram import BotCommand, BotCommandScopeChat, Message, Update
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application, ApplicationBuilder

from bot.channels.base import ChannelStartError, Handle, Pace
from bot.channels.telegram.limits import Limits, TelegramLimiter
from bot.channels.telegram.output import TelegramOutput, TelegramSender
from bot.channels.telegram.repository import TelegramRepository
from bot.channels.telegram.settings import PACE, TelegramConfig
from bot.channels.telegram.updates import CHANNEL, blocked_by, split_address, to_message
from bot.db.engine import Database
from bot.db.errors import DatabaseUnavailable
from bot.inbox import BACKOFF_FIRST, BACKOFF_MAX, InboxItem, InboxWorker
from bot.metrics import Metrics
from bot.pacing import pacer_for
from handlers.messages import IncomingMessage
from handlers.ports import Clock
from knowledge.ui import UiTexts

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]
COMMANDS = ("start", "menu", "giup", "huy")
# Messages handled at once across chats. A few times the database pool: more would only wait
# for a connection (and time out after 30 s) instead of waiting in their chat's queue.
CONCURRENT_MESSAGES = 64
# Above this many messages in hand the bot is slow from load, not from drafting: typing
# actions would only add requests, so none are sent.
_TYPING_MAX_IN_FLIGHT = 16


class TelegramChannel:
    """bot.channels.base.Channel for Telegram (polling, or webhook with a public URL)."""

    name = CHANNEL
    pace: Pace = PACE

    def __init__(
        self,
        config: TelegramConfig,
        *,
        handle: Handle,
        db: Database,
        ui: UiTexts,
        metrics: Metrics,
        clock: Clock,
        officer_commands: tuple[str, ...] = (),
    ) -> None:
        self.config, self.handle, self.clock = config, handle, clock
        self.officer_commands = officer_commands
        self.ui, self.metrics = ui, metrics
        self.repo = TelegramRepository(db)
        limits = config.limits or Limits()
        # Replies and pushes wait in one pacer; on PostgreSQL it is shared by all replicas.
        self.limiter = TelegramLimiter(
            limits,
            pacer=pacer_for(db, CHANNEL, limits.pace),
            on_retry_after=self._on_retry_after,
        )
        # The Application only gives us its Bot (rate limiter, lifecycle): updates reach us
        # through the inbox, never through PTB's update queue or updater.
        builder = (
            ApplicationBuilder()
            .token(config.token)
            .base_url(config.base_url)
            .rate_limiter(self.limiter)
            .job_queue(None)
            .updater(None)
        )
        self.application: Application[Any, Any, Any, Any, Any, Any] = builder.build()
        self.output = TelegramOutput(self.application.bot, self.repo, ui, metrics, clock.now)
        self.sender = TelegramSender(self.output)
        self.inbox = InboxWorker(
            db,
            clock,
            CHANNEL,
            self._process,
            concurrency=min(CONCURRENT_MESSAGES, config.inbox_concurrency),
            lease_seconds=config.inbox_lease_seconds,
        )
        self._polling: asyncio.Task[None] | None = None
        self._stopping = False
        self._storing = asyncio.Event()  # set while the poll loop is not storing a batch
        self._storing.set()

    @property
    def webhook_mode(self) -> bool:
        return self.config.webhook_url is not None

    def routes(self) -> list[web.RouteDef]:
        return [web.post(WEBHOOK_PATH, self._webhook)]

    def health(self) -> dict[str, Any]:
        return {CHANNEL: "webhook" if self.webhook_mode else "polling"}

    async def housekeeping(self, now: datetime) -> None:
        return None

    async def _webhook(self, request: web.Request) -> web.Response:
        """`POST /webhooks/telegram` (SPEC §1): 403 without the right secret token header."""
        secret = self.config.webhook_secret
        if not self.webhook_mode or secret is None:
            raise web.HTTPNotFound(text="telegram webhook mode is off")
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            log.warning("telegram webhook call with a wrong secret token")
            raise web.HTTPForbidden(text="forbidden")
        try:
            data = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise web.HTTPBadRequest(text="expected JSON") from None
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            raise web.HTTPBadRequest(text="expected a Telegram update")
        try:
            await self.feed(data)
        except (TypeError, ValueError, KeyError, AttributeError):
            # Authenticated (right secret) but not an update PTB can read: the sender's fault.
            log.warning("telegram webhook: malformed update refused")
            raise web.HTTPBadRequest(text="malformed Telegram update") from None
        except DatabaseUnavailable:
            # Not stored, so not accepted: Telegram delivers it again later.
            log.warning("telegram webhook: database unreachable, update refused with 503")
            return web.json_response({"ok": False}, status=503)
        return web.json_response({"ok": True})

    async def start(self) -> None:
        """Raises ChannelStartError when Telegram refuses the token or cannot be reached."""
        try:
            await self._start()
        except TelegramError as exc:
            raise ChannelStartError(
                f"Lỗi kết nối Telegram (kiểm tra BOT_TELEGRAM_TOKEN): {exc}"
            ) from exc

    async def _start(self) -> None:
        app = self.application
        await app.initialize()
        await self._set_commands()
        # Unfinished updates of an earlier run (or of a replica that died) first.
        await self.inbox.start()
        if self.webhook_mode:
            await app.bot.set_webhook(
                self.config.webhook_url,
                secret_token=self.config.webhook_secret,
                allowed_updates=ALLOWED_UPDATES,
            )
            return
        await app.bot.delete_webhook()  # getUpdates is refused while a webhook is set
        self._polling = asyncio.get_running_loop().create_task(self._poll())

    async def stop(self) -> None:
        # The webhook stays registered: Telegram keeps updates for us across a restart.
        if self._polling is not None:
            # Let a batch being stored finish (a cancelled SQLite write can leave its
            # connection closing forever); a long poll in progress is simply cancelled.
            self._stopping = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._storing.wait()), 5.0)
            self._polling.cancel()
            await asyncio.gather(self._polling, return_exceptions=True)
        # Updates in hand are answered; stored ones not started wait for the next start.
        await self.inbox.stop()
        await self.application.shutdown()

    async def feed(self, data: dict[str, Any]) -> bool:
        """Store one update posted to our webhook route; handled in the background.

        False when the bot ignores it or it was stored before (a re-delivery). Raises
        TypeError/ValueError/KeyError/AttributeError for a malformed update, and
        DatabaseUnavailable when it could not be stored (answer 503).
        """
        update = Update.de_json(data, self.application.bot)
        chat = self._chat_key(update)
        if chat is None:
            return False
        stored = await self.inbox.store(str(update.update_id), chat, data)
        if not stored:
            self.metrics.duplicates.labels(CHANNEL).inc()
        return stored

    def _chat_key(self, update: Update) -> str | None:
        """The chat whose order this update keeps; None for updates the bot ignores."""
        blocked = blocked_by(update)
        if blocked is not None:
            return blocked
        message = to_message(update, self.config.officer_chat_id)
        return None if message is None else message.chat_id

    async def _poll(self) -> None:
        """getUpdates in a loop: a batch is committed to the inbox before the next call's
        offset confirms it to Telegram, so a crash at any point loses nothing (Telegram sends
        unconfirmed updates again; the inbox ignores the ones it already has)."""
        bot = self.application.bot
        offset: int | None = None
        delay = BACKOFF_FIRST
        while not self._stopping:
            try:
                updates = await bot.get_updates(
                    offset=offset,
                    timeout=self.config.poll_timeout,
                    allowed_updates=ALLOWED_UPDATES,
                )
            except TelegramError as exc:
                log.warning("telegram getUpdates failed (%s), retry in %.1f s", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, BACKOFF_MAX)
                continue
            if updates:
                batch: list[tuple[str, str, dict[str, Any]]] = []
                for update in updates:
                    try:
                        chat = self._chat_key(update)
                    except (TypeError, ValueError, KeyError, AttributeError):
                        log.warning("telegram: an update the bot cannot read, skipped")
                        continue
                    if chat is not None:
                        batch.append((str(update.update_id), chat, update.to_dict()))
                self._storing.clear()
                try:
                    await self.inbox.store_many(batch)
                except DatabaseUnavailable:
                    # Not confirmed: the same updates come again with the same offset.
                    log.warning("telegram: database unreachable, updates kept at Telegram")
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, BACKOFF_MAX)
                    continue
                finally:
                    self._storing.set()
                offset = updates[-1].update_id + 1
            delay = BACKOFF_FIRST
            if self.config.poll_interval:
                await asyncio.sleep(self.config.poll_interval)

    async def _set_commands(self) -> None:
        """Owners see COMMANDS (default scope); the officer chat also sees the officers'
        commands (BotCommandScopeChat), described by the UI texts `commands.<name>`."""
        commands = [BotCommand(c, self.ui.text(f"telegram.commands.{c}")) for c in COMMANDS]
        try:
            await self.application.bot.set_my_commands(commands)
            if self.config.officer_chat_id is not None and self.officer_commands:
                officer = commands + [
                    BotCommand(c, self.ui.text(f"commands.{c}")[:256])
                    for c in self.officer_commands
                ]
                await self.application.bot.set_my_commands(
                    officer,
                    scope=BotCommandScopeChat(int(split_address(self.config.officer_chat_id)[0])),
                )
        except (TelegramError, ValueError):
            log.warning("could not set the command menu", exc_info=True)

    def _on_retry_after(self, chat_id: str | None, seconds: float) -> None:
        self.metrics.rate_limited.labels(CHANNEL).inc()

    async def _process(self, item: InboxItem) -> None:
        """One stored update (bot/inbox.py): handled once, then its unsent replies sent."""
        update = Update.de_json(item.payload, self.application.bot)
        blocked = blocked_by(update)
        if blocked is not None:
            if not item.handled:
                await self.repo.mark_unreachable(CHANNEL, blocked, self.clock.now())
                item.skip()
            return
        message = to_message(update, self.config.officer_chat_id)
        if message is None:
            item.skip()
            return
        query = update.callback_query
        if not item.handled:
            await self._handle(item, update, message)
        replies = item.unsent()
        if not replies:
            return  # a re-delivered update, or everything already sent
        if query is not None and isinstance(query.message, Message) and item.sent == 0:
            await self._close_keyboard(query.message, query.data or "")
        try:
            for reply in replies:
                await self.output.send(message.reply_address, reply)
                await item.sent_one()
        except Forbidden as exc:
            self.output.count_error(exc)
            await self.repo.mark_unreachable(CHANNEL, message.user_id, self.clock.now())
        except TelegramError as exc:
            self.output.count_error(exc)
            log.warning("reply to a telegram chat failed: %s", exc)

    async def _handle(self, item: InboxItem, update: Update, message: IncomingMessage) -> None:
        query = update.callback_query
        if query is not None:
            # Stop the button's spinner at once; a failure here changes nothing for the user.
            with contextlib.suppress(TelegramError):
                await query.answer()
            payload = await self.repo.payload_of(message.payload or "")
            # An unknown long-payload key stays as it is: the core calls it a stale button.
            if payload is not None:
                message = dataclasses.replace(message, payload=payload)
        typing = asyncio.create_task(self._typing(message.reply_address))
        try:
            await item.dispatch(self.handle, message)
        finally:
            typing.cancel()

    async def _typing(self, address: str) -> None:
        await asyncio.sleep(self.config.typing_after)
        chat_id, thread = split_address(address)
        while self.inbox.in_flight <= _TYPING_MAX_IN_FLIGHT:
            with contextlib.suppress(TelegramError):
                await self.application.bot.send_chat_action(
                    chat_id, "typing", message_thread_id=thread
                )
            await asyncio.sleep(4.5)  # Telegram shows an action for about 5 seconds

    async def _close_keyboard(self, source: Message, data: str) -> None:
        """Mark the pressed choice and remove the old keyboard so it cannot be pressed again."""
        label = None
        if source.reply_markup is not None:
            for row in source.reply_markup.inline_keyboard:
                for button in row:
                    if button.callback_data == data:
                        label = button.text
        chat_id, message_id = source.chat.id, source.message_id
        try:
            marked = f"{source.text}\n\n{self.ui.text('telegram.chosen', label=label)}"
            if source.text and label and len(marked) <= 4096:
                await self.application.bot.edit_message_text(
                    marked, chat_id=chat_id, message_id=message_id, reply_markup=None
                )
            else:
                await self.application.bot.edit_message_reply_markup(
                    chat_id=chat_id, message_id=message_id, reply_markup=None
                )
        except BadRequest:
            # Already edited (a double press) or too old to edit: nothing left to remove.
            log.debug("old keyboard not edited", exc_info=True)
        except TelegramError as exc:
            self.output.count_error(exc)
