"""Core repositories: users, conversation state, inbound dedup, outbox enqueue."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BindParameter,
    Table,
    bindparam,
    delete,
    exists,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import outbox as outbox_rows
from bot.db.abstained import AbstainedQuestionRepository
from bot.db.checkins import CheckinRepository
from bot.db.models import ConversationStateRow, OutboxMessage, ProcessedMessage, User
from bot.db.reminders import RemindersRepository
from bot.db.submissions import SubmissionRepository
from bot.db.tickets import TicketRepository
from bot.db.types import JsonType, UtcDateTime, table_of
from bot.db.upsert import insert_for
from handlers.messages import ConversationState, Reply, Target

_users = table_of(User)
_states = table_of(ConversationStateRow)
_processed = table_of(ProcessedMessage)
_outbox = table_of(OutboxMessage)


class StaleStateError(Exception):
    """Another instance saved this user's state first; the message must be handled again."""


def _p(name: str, type_: Any = None) -> BindParameter[Any]:
    # Column names are reserved for insert/update parameters, hence the prefix.
    return bindparam(f"b_{name}", type_=type_)


def _args(**values: object) -> dict[str, object]:
    return {f"b_{name}": value for name, value in values.items()}


@functools.cache
def _statements(dialect: str) -> SimpleNamespace:
    """The dispatcher's statements, built once per dialect with bound parameters.

    Building SQLAlchemy constructs per message cost more CPU than executing them (profiled:
    ~1 ms of coercions and cache-key work per message), so they are built once and reused.
    """
    now = _p("now", UtcDateTime())
    processed = (
        insert_for(dialect, _processed)
        .values(channel=_p("channel"), message_id=_p("message_id"), processed_at=now)
        .on_conflict_do_nothing()
        .returning(_processed.c.message_id)
    )
    user_insert = insert_for(dialect, _users).values(
        channel=_p("channel"),
        external_id=_p("external_id"),
        display_name=_p("display_name"),
        created_at=now,
        last_seen_at=now,
    )
    users = user_insert.on_conflict_do_update(
        index_elements=[_users.c.channel, _users.c.external_id],
        set_={
            "last_seen_at": user_insert.excluded.last_seen_at,
            "unreachable_at": None,
            "display_name": func.coalesce(
                user_insert.excluded.display_name, _users.c.display_name
            ),
        },
    ).returning(_users.c.id)
    state_columns = (_states.c.flow, _states.c.step, _states.c.data, _states.c.version)
    values = {
        "flow": _p("flow"),
        "step": _p("step"),
        "data": _p("data", JsonType),
        "version": _p("new_version"),
        "updated_at": now,
    }
    stmts = SimpleNamespace(
        processed=processed,
        users=users,
        load_state=select(*state_columns).where(_states.c.user_id == _p("user_id")),
        insert_state=insert_for(dialect, _states)
        .values(user_id=_p("user_id"), **values)
        .on_conflict_do_nothing()
        .returning(_states.c.user_id),
        update_state=update(_states)
        .where(_states.c.user_id == _p("user_id"), _states.c.version == _p("version"))
        .values(**values)
        .returning(_states.c.user_id),
    )
    if dialect == "postgresql":
        # One round trip for dedup + user upsert + state load (data-modifying CTEs).
        u, p = users.cte("u"), processed.cte("p")
        for name, fresh in (
            ("open", exists(select(p.c.message_id))),
            ("open_no_id", literal(True)),
        ):
            setattr(
                stmts,
                name,
                select(u.c.id, fresh.label("fresh"), *state_columns).select_from(
                    u.outerjoin(_states, _states.c.user_id == u.c.id)
                ),
            )
    return stmts


def _column_length(table: Table, column: str) -> int:
    length = getattr(table.c[column].type, "length", None)
    return int(length) if length else 10_000


class CoreRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.dialect = session.bind.dialect.name if session.bind else "sqlite"
        self._sql = _statements(self.dialect)

    async def open_message(
        self,
        channel: str,
        external_id: str,
        display_name: str | None,
        message_id: str | None,
        now: datetime,
    ) -> tuple[int, ConversationState] | None:
        """Dedup, upsert the user and load their state; None when the message was seen before.

        On PostgreSQL the three steps are one statement, because round trips dominate the
        dispatcher's cost there; SQLite cannot modify data inside a CTE. A display name or
        message id longer than its column is cut to fit (two 64-character Telegram names
        overflow VARCHAR(128) on PostgreSQL).
        """
        if display_name is not None:
            display_name = display_name[: _column_length(_users, "display_name")]
        if message_id is not None:
            message_id = message_id[: _column_length(_processed, "message_id")]
        if self.dialect != "postgresql":
            if message_id is not None and not await self.mark_processed(channel, message_id, now):
                return None
            user_id = await self.upsert_user(channel, external_id, display_name, now)
            return user_id, await self.load_state(user_id)
        params = _args(
            channel=channel, external_id=external_id, display_name=display_name, now=now
        )
        if message_id is None:
            stmt = self._sql.open_no_id
        else:
            stmt, params["b_message_id"] = self._sql.open, message_id
        row = (await self.session.execute(stmt, params)).one()
        if not row.fresh:
            return None
        if row.version is None:
            return row.id, ConversationState()
        return row.id, ConversationState(row.flow, row.step, row.data, row.version)

    async def mark_processed(self, channel: str, message_id: str, now: datetime) -> bool:
        """Record an inbound id; False when it was recorded before (a re-delivery)."""
        params = _args(channel=channel, message_id=message_id, now=now)
        return (await self.session.execute(self._sql.processed, params)).first() is not None

    async def upsert_user(
        self, channel: str, external_id: str, display_name: str | None, now: datetime
    ) -> int:
        """Create the user or note that they were seen (and are reachable) again; their id."""
        params = _args(
            channel=channel, external_id=external_id, display_name=display_name, now=now
        )
        return (await self.session.execute(self._sql.users, params)).scalar_one()

    async def load_state(self, user_id: int) -> ConversationState:
        row = (await self.session.execute(self._sql.load_state, _args(user_id=user_id))).first()
        if row is None:
            return ConversationState()
        return ConversationState(flow=row.flow, step=row.step, data=row.data, version=row.version)

    async def save_state(self, user_id: int, state: ConversationState, now: datetime) -> None:
        """Write the state if nobody else wrote it since it was loaded (optimistic lock)."""
        params = _args(
            user_id=user_id,
            flow=state.flow,
            step=state.step,
            data=state.data,
            version=state.version,
            new_version=state.version + 1,
            now=now,
        )
        stmt = self._sql.insert_state if state.version == 0 else self._sql.update_state
        if (await self.session.execute(stmt, params)).first() is None:
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
        expires_at: datetime | None = None,
    ) -> bool:
        row = outbox_rows.new_row(
            key=key,
            kind=kind,
            target=target,
            reply=reply,
            due_at=due_at,
            now=self._now,
            user_id=user_id,
            expires_at=expires_at,
        )
        return await outbox_rows.enqueue(self.session, row)


class SqlStore:
    """The unit of work handed to handlers (handlers.ports.Store) for one message."""

    def __init__(self, session: AsyncSession, now: datetime) -> None:
        self.session = session
        self.outbox = OutboxRepository(session, now)
        self.submissions = SubmissionRepository(session, now)
        self.faq = AbstainedQuestionRepository(session)
        self.reminders = RemindersRepository(session)
        self.checkins = CheckinRepository(session, now)
        self.tickets = TicketRepository(session, now)


# Platforms re-deliver within minutes or hours (Zalo retries for up to ~12 h); a week is ample.
PROCESSED_RETENTION = timedelta(days=7)


async def prune_processed(session: AsyncSession, now: datetime) -> int:
    """Forget inbound ids older than the retention, so the dedup table stays small."""
    result = await session.execute(
        delete(_processed)
        .where(_processed.c.processed_at < now - PROCESSED_RETENTION)
        .returning(_processed.c.message_id)
    )
    return len(result.all())


if TYPE_CHECKING:
    # The storage implementations, checked by mypy against the Protocols handlers use.
    from bot.config import QuietHours
    from handlers.checkin_store import CheckinStore
    from handlers.deadline_store import RemindersPort
    from handlers.deadlines import QuietWindow
    from handlers.ports import (
        AbstainedQuestionsPort,
        OutboxPort,
        Store,
        SubmissionStore,
        TicketStore,
    )

    def _conforms(session: AsyncSession, now: datetime, quiet: QuietHours) -> None:
        _store: Store = SqlStore(session, now)
        _outbox: OutboxPort = OutboxRepository(session, now)
        _submissions: SubmissionStore = SubmissionRepository(session, now)
        _faq: AbstainedQuestionsPort = AbstainedQuestionRepository(session)
        _reminders: RemindersPort = RemindersRepository(session)
        _tickets: TicketStore = TicketRepository(session, now)
        _checkins: CheckinStore = CheckinRepository(session, now)
        _window: QuietWindow = quiet
