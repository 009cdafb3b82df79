"""Values exchanged between channels and the core: incoming messages and replies."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

MessageKind = Literal[
    "text",
    "button",
    "contact",
    "photo",
    "sticker",
    "voice",
    "audio",
    "video",
    "document",
    "location",
    "edited",
    "other",
]


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """One thing a user did: typed text, pressed a button, or sent something else."""

    channel: str
    user_id: str
    chat_id: str
    text: str | None = None
    payload: str | None = None
    message_id: str | None = None
    display_name: str | None = None
    kind: MessageKind = "text"
    contact_phone: str | None = None
    attachment: Attachment | None = None
    # The text of the message this one replies to (Telegram reply, Zalo quote), if any.
    reply_to_text: str | None = None
    # The platform's id of the message itself (Telegram `message_id`), the same for a message
    # and its edits; `message_id` above is the delivery id the dispatcher deduplicates on.
    platform_message_id: str | None = None
    # The forum topic (Telegram `message_thread_id`) the message came from: replies go there.
    thread_id: str | None = None

    @property
    def reply_address(self) -> str:
        """Where replies go: `chat_id`, or `chat_id:thread_id` inside a forum topic."""
        return f"{self.chat_id}:{self.thread_id}" if self.thread_id else self.chat_id


@dataclass(frozen=True, slots=True)
class Attachment:
    """Something a user sent on a channel, kept by the platform's reference (never downloaded).

    `channel` is where it lives ("telegram", "zalo"); `kind` is the message kind ("photo",
    "voice", "document", "location", …, or "file" when unknown); `ref` is the platform's file
    id, a download URL, or "lat,lon" for a location. Only the channel named here can send the
    file itself; others may pass on a URL or say where it is.
    """

    channel: str
    kind: str
    ref: str

    @property
    def is_url(self) -> bool:
        return self.ref.startswith(("https://", "http://"))

    def to_dict(self) -> dict[str, str]:
        return {"channel": self.channel, "kind": self.kind, "ref": self.ref}

    def __str__(self) -> str:
        return f"{self.channel}/{self.kind}/{self.ref}"

    @classmethod
    def from_legacy(cls, text: str) -> Attachment | None:
        """The string form stored before this type existed ("telegram-file:ID",
        "zalo-file:REF", "zalo-location:LAT,LON", "geo:LAT,LON" from Telegram), else None."""
        scheme, sep, ref = text.partition(":")
        if not sep or not ref:
            return None
        if scheme == "geo":
            return cls("telegram", "location", ref)
        channel, dash, what = scheme.partition("-")
        if not dash or not channel or what not in _LEGACY_KINDS:
            return None
        return cls(channel, _LEGACY_KINDS[what], ref)


_LEGACY_KINDS = {"file": "file", "location": "location"}


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    payload: str


@dataclass(frozen=True, slots=True)
class Document:
    """A file in a reply: a local file (`path` a str) or something a user sent (an Attachment).

    A legacy prefixed string ("telegram-file:ID", …) given as `path` becomes its Attachment.
    """

    path: str | Attachment
    name: str

    def __post_init__(self) -> None:
        if isinstance(self.path, str):
            legacy = Attachment.from_legacy(self.path)
            if legacy is not None:
                object.__setattr__(self, "path", legacy)

    @property
    def attachment(self) -> Attachment | None:
        return self.path if isinstance(self.path, Attachment) else None

    def to_dict(self) -> dict[str, Any]:
        """SPEC §1 shape (`path`, `name`); an attachment adds its parts under "attachment"."""
        data: dict[str, Any] = {"path": str(self.path), "name": self.name}
        if isinstance(self.path, Attachment):
            data["attachment"] = self.path.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Document:
        attachment = data.get("attachment")
        if isinstance(attachment, dict):
            return cls(Attachment(**attachment), data["name"])
        return cls(data["path"], data["name"])


@dataclass(frozen=True, slots=True)
class Reply:
    """What the bot says: text, optional buttons and documents; channels render it natively."""

    text: str
    buttons: tuple[Button, ...] = ()
    documents: tuple[Document, ...] = ()
    request_contact: bool = False
    # "number" while the question on screen wants a number, an amount or a date: a channel
    # that lets digits press numbered buttons (console, Zalo's numbered lists) must read typed
    # digits as the answer instead.
    expects: str = ""

    def to_dict(self) -> dict[str, Any]:
        return (
            {
                "text": self.text,
                "buttons": [{"label": b.label, "payload": b.payload} for b in self.buttons],
                "documents": [d.to_dict() for d in self.documents],
            }
            | ({"request_contact": True} if self.request_contact else {})
            | ({"expects": self.expects} if self.expects else {})
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reply:
        return cls(
            text=data["text"],
            buttons=tuple(Button(**b) for b in data.get("buttons", ())),
            documents=tuple(Document.from_dict(d) for d in data.get("documents", ())),
            request_contact=bool(data.get("request_contact", False)),
            expects=str(data.get("expects", "")),
        )


@dataclass(frozen=True, slots=True)
class Target:
    """Where a push goes: a channel and a chat on it (e.g. the officer chat)."""

    channel: str
    chat_id: str  # may name a forum topic: "chat:thread" (Telegram `-100123:45`)

    @classmethod
    def parse(cls, value: str) -> Target:
        """`channel:chat_id` or `channel:chat_id:thread_id`; ValueError otherwise."""
        channel, sep, chat_id = value.partition(":")
        if not sep or not channel.strip() or not chat_id.strip():
            raise ValueError(f"expected 'channel:chat_id', got {value!r}")
        chat, topic, thread = chat_id.strip().partition(":")
        if topic and (not chat.strip() or not thread.strip().isdigit()):
            raise ValueError(f"expected 'channel:chat_id:thread_id' (a number), got {value!r}")
        return cls(channel.strip(), f"{chat.strip()}:{thread.strip()}" if topic else chat.strip())

    def __str__(self) -> str:
        return f"{self.channel}:{self.chat_id}"


@dataclass
class ConversationState:
    """The one JSON row per user: which flow and step they are in, and what they entered.

    `data` is namespaced by flow id so that leaving a flow (/huy) keeps its answers.
    """

    flow: str | None = None
    step: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    version: int = 0

    def enter(self, flow: str, step: str | None) -> None:
        self.flow, self.step = flow, step

    def leave(self) -> None:
        self.flow, self.step = None, None

    def bucket(self, flow: str) -> dict[str, Any]:
        """The flow's own part of `data`, created on first use."""
        bucket: dict[str, Any] = self.data.setdefault(flow, {})
        return bucket

    def snapshot(self) -> tuple[str | None, str | None, str]:
        return self.flow, self.step, json.dumps(self.data, sort_keys=True, ensure_ascii=False)
