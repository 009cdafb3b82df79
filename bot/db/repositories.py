"""Core repositories: users, conversation state, inbound dedup, outbox enqueue."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import ConversationStateRow, OutboxMessage, ProcessedMessage, User
from bot.db.reminders import RemindersRepository
from bot.db.upsert import insert_for
from handlers.messages import ConversationState, Reply, Target

_users = User.__table__
_states = ConversationStateRow.__table__
_processed = ProcessedMessage.__table__
_outbox = OutboxMessage.__table__


class StaleStateError(Exception):
    """Another instance saved this user's state first; the message must be handled again."""


class CoreRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.dialect = session.bind.dialect.name if session.bind else "sqlite"

    async def mark_processed(self, channel: str, message_id: str, now: datetime) -> bool:
        """Record an inbound id; False when it was recorded before (a re-delivery)."""
        stmt = (
            insert_for(self.dialect, _processed)
            .values(channel=channel, message_id=message_id, processed_at=now)
            .on_conflict_do_nothing()
            .returning(_processed.c.message_id)
        )
        return (await self.session.execute(stmt)).first() is not None

    async def upsert_user(
        self, channel: str, external_id: str, display_name: str | None, now: datetime
    ) -> int:
        """Create the user or note that they were seen (and are reachable) again; their id."""
        stmt = insert_for(self.dialect, _users).values(
            channel=channel,
            external_id=external_id,
            display_name=display_name,
            created_at=now,
            last_seen_at=now,
        )
        changes: dict[str, object] = {"last_seen_at": now, "unreachable_at": None}
        if display_name:
            changes["display_name"] = display_name
        stmt = stmt.on_conflict_do_update(
            index_elements=[_users.c.channel, _users.c.external_id], set_=changes
        ).returning(_users.c.id)
        return (await self.session.execute(stmt)).scalar_one()

    async def load_state(self, user_id: int) -> ConversationState:
        row = (
            await self.session.execute(
                select(_states.c.flow, _states.c.step, _states.c.data, _states.c.version).where(
                    _states.c.user_id == user_id
                )
            )
        ).first()
        if row is None:
            return ConversationState()
        return ConversationState(flow=row.flow, step=row.step, data=row.data, version=row.version)

    async def save_state(self, user_id: int, state: ConversationState, now: datetime) -> None:
        """Write the state if nobody else wrote it since it was loaded (optimistic lock)."""
        values = {
            "flow": state.flow,
            "step": state.step,
            "data": state.data,
            "version": state.version + 1,
            "updated_at": now,
        }
        if state.version == 0:
            stmt = (
                insert_for(self.dialect, _states)
                .values(user_id=user_id, **values)
                .on_conflict_do_nothing()
                .returning(_states.c.user_id)
            )
        else:
            stmt = (
                update(_states)
                .where(_states.c.user_id == user_id, _states.c.version == state.version)
                .values(**values)
                .returning(_states.c.user_id)
            )
        if (await self.session.execute(stmt)).first() is None:
            raise StaleStateError(user_id)
        state.version += 1


class OutboxRepository:
    """Implements handlers.ports.OutboxPort inside the caller's transaction."""

    def __init__(self, session: AsyncSession, clock_now: datetime) -> None:
        self.session = session
        self.dialect = session.bind.dialect.name if session.bind else "sqlite"
        self._now = clock_now

    async def enqueue(
        self,
        *,
        key: str,
        target: Target,
        reply: Reply,
        due_at: datetime,
        kind: str = "notice",
        user_id: int | None = None,
    ) -> bool:
        stmt = (
            insert_for(self.dialect, _outbox)
            .values(
                dedupe_key=key,
                kind=kind,
                channel=target.channel,
                chat_id=target.chat_id,
                user_id=user_id,
                payload=reply.to_dict(),
                due_at=due_at,
                status="pending",
                attempts=0,
                created_at=self._now,
            )
            .on_conflict_do_nothing()
            .returning(_outbox.c.id)
        )
        return (await self.session.execute(stmt)).first() is not None


class SqlStore:
    """The unit of work handed to handlers (handlers.ports.Store) for one message."""

    def __init__(self, session: AsyncSession, now: datetime) -> None:
        self.session = session
        self.outbox = OutboxRepository(session, now)
        self.reminders = RemindersRepository(session)
