"""Zalo OA webhook events: signature check, and translation into IncomingMessage values.

The signature is `mac=` + hex SHA-256 of app_id + the raw body + the body's timestamp + the
OA secret key — a plain hash over the bytes exactly as received, not an HMAC (Chatwoot's
production check; hainh.me's guide). Zalo ids are big integers sent as strings: kept as str.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from handlers.messages import Attachment, IncomingMessage, MessageKind

CHANNEL = "zalo"
SIGNATURE_HEADER = "X-ZEvent-Signature"
# Replays older than this are refused; Zalo itself retries for hours, but a retry is signed
# with the original timestamp, so a late retry is refused too (and logged).
MAX_SKEW = timedelta(minutes=5)

# Events whose sender is the user, by the kind of message the core receives.
_ATTACHMENT_KINDS: dict[str, MessageKind] = {
    "user_send_image": "photo",
    "user_send_gif": "photo",
    "user_send_sticker": "sticker",
    "user_send_audio": "audio",
    "user_send_video": "video",
    "user_send_file": "document",
    "user_send_location": "location",
    "user_send_business_card": "other",
}


class Verdict(enum.Enum):
    OK = "ok"
    BAD_SIGNATURE = "bad_signature"
    STALE = "stale"


def signature(app_id: str, raw: bytes, timestamp: str, oa_secret: str) -> str:
    digest = hashlib.sha256(app_id.encode() + raw + timestamp.encode() + oa_secret.encode())
    return f"mac={digest.hexdigest()}"


def verify(
    raw: bytes, header: str | None, *, app_id: str, oa_secret: str, now: datetime
) -> tuple[Verdict, dict[str, Any] | None]:
    """Check a POST body against its signature header; the parsed event when it verifies."""
    if not header:
        return Verdict.BAD_SIGNATURE, None
    try:
        event = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return Verdict.BAD_SIGNATURE, None
    if not isinstance(event, dict):
        return Verdict.BAD_SIGNATURE, None
    timestamp = event.get("timestamp")
    body_app = event.get("app_id")
    if not isinstance(timestamp, str | int) or not isinstance(body_app, str | int):
        return Verdict.BAD_SIGNATURE, None
    expected = signature(app_id, raw, str(timestamp), oa_secret)
    same_app = hmac.compare_digest(str(body_app).encode(), app_id.encode())
    if not (hmac.compare_digest(header.strip().encode(), expected.encode()) and same_app):
        return Verdict.BAD_SIGNATURE, None
    at = event_time(event)
    if at is None or abs(now - at) > MAX_SKEW:
        return Verdict.STALE, None
    return Verdict.OK, event


def event_time(event: dict[str, Any]) -> datetime | None:
    """The event's `timestamp` (epoch milliseconds, as a string) as an aware datetime."""
    try:
        millis = int(str(event.get("timestamp")))
        return datetime.fromtimestamp(millis / 1000, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _id(node: object) -> str | None:
    if isinstance(node, dict):
        value = node.get("id")
        if isinstance(value, str | int) and str(value).strip():
            return str(value)
    return None


@dataclass(frozen=True, slots=True)
class ZaloEvent:
    """What the channel must do with one verified event."""

    action: str  # "message", "follow", "unfollow" or "ignore"
    user_id: str | None = None
    message: IncomingMessage | None = None
    # The Zalo id of the message this one quotes (`message.quote_msg_id`), if any: the
    # channel turns it into `reply_to_text` (bot/channels/zalo/quotes.py).
    quote_id: str | None = None


def interpret(event: dict[str, Any], raw: bytes = b"") -> ZaloEvent:
    """What to do with a verified event; `raw` is its signed body: an event without
    `msg_id` is deduplicated by the body's SHA-256 (a re-delivery is byte-identical)."""
    name = str(event.get("event_name", ""))
    if name.startswith("oa_send_") or not name.startswith(("user_", "follow", "unfollow")):
        # The OA's own echoes, delivery receipts of others, anonymous chats: nothing to do.
        return ZaloEvent("ignore")
    if name in ("follow", "unfollow"):
        user = _id(event.get("follower")) or _id(event.get("sender"))
        return ZaloEvent(name, user) if user else ZaloEvent("ignore")
    user = _id(event.get("sender"))
    if user is None or name in ("user_received_message", "user_seen_message"):
        return ZaloEvent("ignore")
    message = _message(name, user, event)
    if message is not None and message.message_id is None and raw:
        digest = hashlib.sha256(raw).hexdigest()[:40]
        message = dataclasses.replace(message, message_id=f"body:{digest}")
    if message is None:
        return ZaloEvent("ignore")
    return ZaloEvent("message", user, message, _quote_id(event))


def _quote_id(event: dict[str, Any]) -> str | None:
    """`message.quote_msg_id` of a text that quotes an earlier message (absent otherwise).

    [UNCERTAIN] the field's name: Zalo's public webhook reference shows no quote field on
    `user_send_text`; `quote_msg_id` is the name this project was given. A different name
    only means a quote reads as plain text (the officer can still use /traloi or the web)."""
    body = event.get("message")
    quoted = body.get("quote_msg_id") if isinstance(body, dict) else None
    if isinstance(quoted, str | int) and not isinstance(quoted, bool) and str(quoted).strip():
        return str(quoted).strip()[:128]
    return None


def _message(name: str, user: str, event: dict[str, Any]) -> IncomingMessage | None:
    body = event.get("message")
    body = body if isinstance(body, dict) else {}
    msg_id = body.get("msg_id")
    message_id = str(msg_id) if isinstance(msg_id, str | int) else None
    if name in ("user_send_text", "user_send_link"):
        text = body.get("text")
        return IncomingMessage(
            CHANNEL, user, user, text=text if isinstance(text, str) else "", message_id=message_id
        )
    if name == "user_submit_info":
        info = event.get("info")
        phone = info.get("phone") if isinstance(info, dict) else None
        return IncomingMessage(
            CHANNEL,
            user,
            user,
            kind="contact",
            contact_phone=str(phone) if phone else None,
            message_id=message_id or f"info:{user}:{event.get('timestamp')}",
        )
    kind = _ATTACHMENT_KINDS.get(name)
    if kind is None:
        return None
    return IncomingMessage(
        CHANNEL,
        user,
        user,
        kind=kind,
        message_id=message_id,
        attachment=_attachment(body, kind),
    )


def _attachment(body: dict[str, Any], kind: str) -> Attachment | None:
    attachments = body.get("attachments")
    if not isinstance(attachments, list) or not attachments:
        return None
    first: dict[str, Any] = attachments[0] if isinstance(attachments[0], dict) else {}
    inner = first.get("payload")
    payload: dict[str, Any] = inner if isinstance(inner, dict) else {}
    coordinates = payload.get("coordinates")
    if isinstance(coordinates, dict):
        place = f"{coordinates.get('latitude')},{coordinates.get('longitude')}"
        return Attachment(CHANNEL, "location", place)
    ref = payload.get("url") or payload.get("id") or payload.get("thumbnail")
    return Attachment(CHANNEL, kind, str(ref)[:500]) if ref else None
