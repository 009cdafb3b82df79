"""Prometheus metrics of the service, in one registry built by the composition root."""

from __future__ import annotations

from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest

from bot.db import inbox as inbox_rows
from bot.db import outbox as outbox_rows
from bot.db.engine import Database
from handlers.messages import IncomingMessage

# Events handlers emit (ctx.emit) that get a counter of their own; others go to bot_events_total.
_NAMED_EVENTS = {
    "faq.answered": "faq_answers",
    "faq.abstained": "faq_abstentions",
    "intake.started": "intakes_started",
    "intake.finished": "intakes_finished",
}


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.messages_in = Counter(
            "bot_messages_in", "Incoming messages handled", ["channel"], registry=r
        )
        self.duplicates = Counter(
            "bot_duplicates", "Re-delivered messages skipped", ["channel"], registry=r
        )
        self.messages_out = Counter(
            "bot_messages_out", "Messages sent to users", ["channel"], registry=r
        )
        self.faq_answers = Counter("bot_faq_answers", "Questions answered", registry=r)
        self.faq_abstentions = Counter(
            "bot_faq_abstentions", "Questions the bot declined to answer", registry=r
        )
        self.intakes_started = Counter("bot_intakes_started", "Intakes started", registry=r)
        self.intakes_finished = Counter("bot_intakes_finished", "Intakes finished", registry=r)
        self.events = Counter("bot_events", "Other handler events", ["event"], registry=r)
        self.send_errors = Counter(
            "bot_send_errors", "Failed sends", ["channel", "reason"], registry=r
        )
        self.rate_limited = Counter(
            "bot_rate_limited", "429 answers (flood control)", ["channel"], registry=r
        )
        self.outbox_lag = Gauge(
            "bot_outbox_lag_seconds",
            "Age of the oldest pending outbox row that is due (0 when none)",
            registry=r,
        )
        self.outbox_pending = Gauge(
            "bot_outbox_due", "Pending outbox rows that are due", registry=r
        )
        self.inbox_open = Gauge(
            "bot_inbox_open", "Inbound updates stored and not yet answered", registry=r
        )
        self.inbox_lag = Gauge(
            "bot_inbox_lag_seconds",
            "Age of the oldest inbound update not yet answered (0 when none)",
            registry=r,
        )

    def observe_events(self, message: IncomingMessage, events: list[str]) -> None:
        """Dispatcher.on_events: one handled message and what its handlers emitted."""
        if "duplicate" in events:
            self.duplicates.labels(message.channel).inc()
            return
        self.messages_in.labels(message.channel).inc()
        for event in events:
            name = _NAMED_EVENTS.get(event)
            if name is not None:
                getattr(self, name).inc()
            else:
                self.events.labels(event).inc()

    async def refresh_outbox(self, db: Database, now: datetime) -> None:
        async with db.transaction() as session:
            oldest, count = await outbox_rows.due_pending(session, now)
        if oldest is not None and oldest.tzinfo is None:
            # SQLite aggregates bypass the column type and come back naive (stored as UTC).
            oldest = datetime.fromisoformat(str(oldest)).replace(tzinfo=now.tzinfo)
        self.outbox_lag.set(0 if oldest is None else max(0.0, (now - oldest).total_seconds()))
        self.outbox_pending.set(count)

    async def refresh_inbox(self, db: Database, now: datetime) -> None:
        async with db.transaction() as session:
            count, oldest = await inbox_rows.open_summary(session)
        if oldest is not None and not isinstance(oldest, datetime):
            oldest = datetime.fromisoformat(str(oldest))
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=now.tzinfo)  # SQLite aggregates come back naive
        self.inbox_lag.set(0 if oldest is None else max(0.0, (now - oldest).total_seconds()))
        self.inbox_open.set(count)

    def render(self) -> bytes:
        return generate_latest(self.registry)
