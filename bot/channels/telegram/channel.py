"""The Telegram channel on python-telegram-bot: updates in, the core's replies out.

Polling by default; with a public URL, Telegram posts updates to our aiohttp server, which
feeds them to the Application (built with `.updater(None)`). Updates of different users are
handled concurrently; one chat's updates are handled and answered strictly in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from aiohttp import web
from telegram import BotCommand, BotCommandScopeChat, Message, Update
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler

from bot.channels.base import ChannelStartError, Pace
from bot.channels.telegram.limits import Limits, TelegramLimiter
from bot.channels.telegram.output import TelegramOutput, TelegramSender
from bot.channels.telegram.repository import TelegramRepository
from bot.channels.telegram.settings import PACE, TelegramConfig
from bot.channels.telegram.updates import CHANNEL, blocked_by, split_address, to_message
from bot.db.engine import Database
from bot.keyed_queue import KeyedQueue
from bot.metrics import Metrics
from handlers.messages import IncomingMessage, Reply
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
        handle: Callable[[IncomingMessage], Awaitable[list[Reply]]],
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
        self.limiter = TelegramLimiter(
            config.limits or Limits(), on_retry_after=self._on_retry_after
        )
        builder = (
            ApplicationBuilder()
            .token(config.token)
            .base_url(config.base_url)
            .rate_limiter(self.limiter)
            # Our callback only queues the update (see KeyedQueue); handling happens there.
            .concurrent_updates(True)
            .job_queue(None)
        )
        if config.webhook_url is not None:
            builder = builder.updater(None)
        self.application: Application[Any, Any, Any, Any, Any, Any] = builder.build()
        self.application.add_handler(TypeHandler(Update, self._on_update))
        self.application.add_error_handler(self._on_error)
        self.output = TelegramOutput(self.application.bot, self.repo, ui, metrics, clock.now)
        self.sender = TelegramSender(self.output)
        self._chats: KeyedQueue[tuple[Update, IncomingMessage]] = KeyedQueue(
            self._process_item, concurrency=CONCURRENT_MESSAGES
        )

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
        if self.webhook_mode:
            await app.start()
            await app.bot.set_webhook(
                self.config.webhook_url,
                secret_token=self.config.webhook_secret,
                allowed_updates=ALLOWED_UPDATES,
            )
            return
        assert app.updater is not None
        await app.updater.start_polling(
            poll_interval=self.config.poll_interval,
            timeout=self.config.poll_timeout,
            allowed_updates=ALLOWED_UPDATES,
        )
        await app.start()

    async def stop(self) -> None:
        app = self.application
        # The webhook stays registered: Telegram keeps updates for us across a restart.
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await self._chats.join()  # messages already accepted are answered before we stop
        await app.shutdown()

    async def feed(self, data: dict[str, Any]) -> None:
        """One update posted to our webhook route; handled in the background."""
        update = Update.de_json(data, self.application.bot)
        await self.application.update_queue.put(update)

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

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("telegram update failed", exc_info=context.error)

    async def _on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        blocked = blocked_by(update)
        if blocked is not None:
            await self.repo.mark_unreachable(CHANNEL, blocked, self.clock.now())
            return
        message = to_message(update, self.config.officer_chat_id)
        if message is None:
            return
        # One chat at a time, handling and sending, so its replies keep their order.
        self._chats.submit(message.chat_id, (update, message))

    async def _process_item(self, item: tuple[Update, IncomingMessage]) -> None:
        await self._process(*item)

    async def _process(self, update: Update, message: IncomingMessage) -> None:
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
            replies = await self.handle(message)
        finally:
            typing.cancel()
        if not replies:
            return  # a re-delivered update
        if query is not None and isinstance(query.message, Message):
            await self._close_keyboard(query.message, query.data or "")
        try:
            for reply in replies:
                await self.output.send(message.reply_address, reply)
        except Forbidden as exc:
            self.output.count_error(exc)
            await self.repo.mark_unreachable(CHANNEL, message.user_id, self.clock.now())
        except TelegramError as exc:
            self.output.count_error(exc)
            log.warning("reply to a telegram chat failed: %s", exc)

    async def _typing(self, address: str) -> None:
        await asyncio.sleep(self.config.typing_after)
        chat_id, thread = split_address(address)
        while self._chats.in_flight <= _TYPING_MAX_IN_FLIGHT:
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
