"""Core repositories: users, conversation state, inbound dedup, outbox enqueue."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, exists, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import ConversationStateRow, OutboxMessage, ProcessedMessage, User
from bot.db.submissions import SubmissionRepository
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

    async def open_message(
        self,
        channel: str,
        external_id: str,
        display_name: str | None,
        message_id: str | None,
        now: datetime,
    ) -> tuple[int, ConversationState] | None:
        """Dedup, upsert the user and load their state; None when the message was seen before.

        On PostgreSQL the three steps are one statement (data-modifying CTEs), because round
        trips dominate the dispatcher's cost there; SQLite cannot modify data in a CTE.
        """
        if self.dialect != "postgresql":
            if message_id is not None and not await self.mark_processed(channel, message_id, now):
                return None
            user_id = await self.upsert_user(channel, external_id, display_name, now)
            return user_id, await self.load_state(user_id)
        users = self._user_upsert(channel, external_id, display_name, now).cte("u")
        if message_id is None:
            fresh = literal(True)
        else:
            processed = self._processed_insert(channel, message_id, now).cte("p")
            fresh = exists(select(processed.c.message_id))
        stmt = select(
            users.c.id,
            fresh.label("fresh"),
            _states.c.flow,
            _states.c.step,
            _states.c.data,
            _states.c.version,
        ).select_from(users.outerjoin(_states, _states.c.user_id == users.c.id))
        row = (await self.session.execute(stmt)).one()
        if not row.fresh:
            return None
        if row.version is None:
            return row.id, ConversationState()
        return row.id, ConversationState(row.flow, row.step, row.data, row.version)

    def _processed_insert(self, channel: str, message_id: str, now: datetime):  # noqa: ANN202
        return (
            insert_for(self.dialect, _processed)
            .values(channel=channel, message_id=message_id, processed_at=now)
            .on_conflict_do_nothing()
            .returning(_processed.c.message_id)
        )

    def _user_upsert(self, channel: str, external_id: str, name: str | None, now: datetime):  # noqa: ANN202
        stmt = insert_for(self.dialect, _users).values(
            channel=channel,
            external_id=external_id,
            display_name=name,
            created_at=now,
            last_seen_at=now,
        )
        changes: dict[str, object] = {"last_seen_at": now, "unreachable_at": None}
        if name:
            changes["display_name"] = name
        return stmt.on_conflict_do_update(
            index_elements=[_users.c.channel, _users.c.external_id], set_=changes
        ).returning(_users.c.id)

    async def mark_processed(self, channel: str, message_id: str, now: datetime) -> bool:
        """Record an inbound id; False when it was recorded before (a re-delivery)."""
        stmt = self._processed_insert(channel, message_id, now)
        return (await self.session.execute(stmt)).first() is not None

    async def upsert_user(
        self, channel: str, external_id: str, display_name: str | None, now: datetime
    ) -> int:
        """Create the user or note that they were seen (and are reachable) again; their id."""
        stmt = self._user_upsert(channel, external_id, display_name, now)
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
        self.submissions = SubmissionRepository(session, now)


# Platforms re-deliver within minutes or hours (Zalo retries for up to ~12 h); a week is ample.
PROCESSED_RETENTION = timedelta(days=7)


async def prune_processed(session: AsyncSession, now: datetime) -> int:
    """Forget inbound ids older than the retention, so the dedup table stays small."""
    result = await session.execute(
        delete(_processed).where(_processed.c.processed_at < now - PROCESSED_RETENTION)
    )
    return result.rowcount or 0
