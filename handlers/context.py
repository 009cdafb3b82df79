"""Everything one handler call may use: the message, the user, their state and the ports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from handlers.messages import ConversationState, IncomingMessage, Target
from handlers.ports import Store, UserRef
from knowledge import KnowledgeBase


@dataclass(frozen=True, slots=True)
class CoreConfig:
    """The few settings the conversation depends on (built from bot settings)."""

    timezone: ZoneInfo
    officer_ids: frozenset[str] = frozenset()
    officer_chat: Target | None = None
    data_dir: str = "./data"
    web_url: str | None = None  # the officers' web page (BOT_PUBLIC_URL + "/officer/")


@dataclass(slots=True)
class Context:
    message: IncomingMessage
    user: UserRef
    state: ConversationState
    store: Store
    kb: KnowledgeBase
    config: CoreConfig
    now: datetime
    events: list[str] = field(default_factory=list)

    def emit(self, event: str) -> None:
        """Note a countable event (e.g. "faq.answered"); the runtime turns these into metrics."""
        self.events.append(event)

    def text(self, key: str, **values: object) -> str:
        return self.kb.ui.text(key, **values)

    @property
    def local_now(self) -> datetime:
        return self.now.astimezone(self.config.timezone)
