"""Telegram updates → IncomingMessage: what the user did, in the core's words."""

from __future__ import annotations

from dataclasses import replace

from telegram import Chat, Message, Update
from telegram.constants import ChatType

from handlers.messages import Attachment, IncomingMessage, MessageKind

CHANNEL = "telegram"


def _file(kind: MessageKind, file_id: str) -> tuple[MessageKind, Attachment]:
    return kind, Attachment(CHANNEL, kind, file_id)


def _attachment(message: Message) -> tuple[MessageKind, Attachment | None]:
    """The kind of a non-text message and a reference to its file (or place)."""
    if message.photo:
        return _file("photo", message.photo[-1].file_id)  # the largest size comes last
    if message.sticker:
        return _file("sticker", message.sticker.file_id)
    if message.voice:
        return _file("voice", message.voice.file_id)
    if message.audio:
        return _file("audio", message.audio.file_id)
    if message.video or message.video_note or message.animation:
        media = message.video or message.video_note or message.animation
        return _file("video", media.file_id)  # type: ignore[union-attr]
    if message.document:
        return _file("document", message.document.file_id)
    if message.location:
        place = f"{message.location.latitude},{message.location.longitude}"
        return "location", Attachment(CHANNEL, "location", place)
    return "other", None


def split_address(address: str) -> tuple[str, int | None]:
    """`chat_id` or `chat_id:thread_id` (a forum topic, see IncomingMessage.reply_address and
    BOT_OFFICER_CHAT) → the Bot API's `chat_id` and `message_thread_id`."""
    chat, _, thread = address.partition(":")
    return chat, int(thread) if thread.isdigit() else None


def _allowed_chat(chat: Chat, officer_chat_id: str | None) -> bool:
    """Private chats, and of all groups only the officers' one (any of its topics)."""
    if chat.type == ChatType.PRIVATE:
        return True
    return officer_chat_id is not None and str(chat.id) == split_address(officer_chat_id)[0]


def _thread(message: Message) -> str | None:
    """The forum topic a message was posted in; replies in a non-forum group carry a thread
    id too, but the Bot API only takes one back for topics."""
    if message.is_topic_message and message.message_thread_id is not None:
        return str(message.message_thread_id)
    return None


def to_message(update: Update, officer_chat_id: str | None) -> IncomingMessage | None:
    """The message for the core, or None for updates the bot ignores (other groups, channels).

    `message_id` is the update id: Telegram re-delivers a webhook update with the same id, and
    the dispatcher's persisted dedup then handles it once; `platform_message_id` is Telegram's
    message id, the same in an `edited_message` as in the message it corrects. `thread_id` is
    the forum topic the replies go back to. A button's `payload` is the raw callback data; the
    channel resolves mapped long payloads.
    """
    update_id = str(update.update_id)
    query = update.callback_query
    if query is not None:
        # A message older than 48 hours comes as InaccessibleMessage, which still has its chat.
        thread = None
        if query.message is not None:
            if not _allowed_chat(query.message.chat, officer_chat_id):
                return None
            chat_id = str(query.message.chat.id)
            if isinstance(query.message, Message):
                thread = _thread(query.message)
        else:
            chat_id = str(query.from_user.id)
        return IncomingMessage(
            CHANNEL,
            str(query.from_user.id),
            chat_id,
            payload=query.data or "",
            message_id=update_id,
            display_name=query.from_user.full_name,
            kind="button",
            thread_id=thread,
        )
    edited = update.edited_message
    message = update.message or edited
    if message is None or message.from_user is None:
        return None
    if not _allowed_chat(message.chat, officer_chat_id):
        return None
    common = IncomingMessage(
        CHANNEL,
        str(message.from_user.id),
        str(message.chat.id),
        message_id=update_id,
        display_name=message.from_user.full_name,
        platform_message_id=str(message.message_id),
        thread_id=_thread(message),
    )
    if edited is not None:
        return replace(common, text=edited.text or edited.caption, kind="edited")
    quoted = message.reply_to_message
    if quoted is not None:
        common = replace(common, reply_to_text=quoted.text or quoted.caption)
    if message.text is not None:
        return replace(common, text=message.text)
    if message.contact is not None:
        return replace(common, kind="contact", contact_phone=message.contact.phone_number)
    kind, ref = _attachment(message)
    return replace(common, text=message.caption, kind=kind, attachment=ref)


def blocked_by(update: Update) -> str | None:
    """The user id when this update says a private chat blocked the bot (my_chat_member)."""
    member = update.my_chat_member
    if member is None or member.chat.type != ChatType.PRIVATE:
        return None
    if member.new_chat_member.status in ("kicked", "left"):
        return str(member.chat.id)
    return None
