"""Repository of hand-off tickets and the officers' audit log (handlers.ports.TicketStore)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import outbox as outbox_rows
from bot.db.models_officer import OfficerAudit, OfficerTicket, OfficerTicketMessage
from bot.db.types import table_of
from handlers.ports import TicketMessage, TicketRecord
from handlers.tickets import reminder_key

_tickets = table_of(OfficerTicket)
_messages = table_of(OfficerTicketMessage)
_audit = table_of(OfficerAudit)


def _record(row: object, messages: tuple[TicketMessage, ...] = ()) -> TicketRecord:
    return TicketRecord(
        id=row.id,  # type: ignore[attr-defined]
        user_id=row.user_id,  # type: ignore[attr-defined]
        owner_target=row.owner_target,  # type: ignore[attr-defined]
        owner_name=row.owner_name,  # type: ignore[attr-defined]
        status=row.status,  # type: ignore[attr-defined]
        question=row.question,  # type: ignore[attr-defined]
        context=row.context,  # type: ignore[attr-defined]
        created_at=row.created_at,  # type: ignore[attr-defined]
        updated_at=row.updated_at,  # type: ignore[attr-defined]
        messages=messages,
    )


class TicketRepository:
    def __init__(self, session: AsyncSession, now: datetime) -> None:
        self.session, self.now = session, now

    async def create(
        self,
        *,
        user_id: int,
        owner_target: str,
        owner_name: str | None,
        question: str,
        context: str,
        attachment: dict[str, str] | None,
    ) -> int:
        ticket_id: int = (
            await self.session.execute(
                insert(_tickets)
                .values(
                    user_id=user_id,
                    owner_target=owner_target,
                    owner_name=owner_name,
                    status="new",
                    question=question,
                    context=context,
                    created_at=self.now,
                    updated_at=self.now,
                )  # fmt: skip
                .returning(_tickets.c.id)
            )
        ).scalar_one()
        await self.add_message(ticket_id, author="owner", text=question, attachment=attachment)
        return ticket_id

    async def get(self, ticket_id: int) -> TicketRecord | None:
        row = (
            await self.session.execute(select(_tickets).where(_tickets.c.id == ticket_id))
        ).first()
        if row is None:
            return None
        rows = await self.session.execute(
            select(_messages)
            .where(_messages.c.ticket_id == ticket_id)
            .order_by(_messages.c.created_at, _messages.c.id)
        )
        messages = tuple(TicketMessage(m.author, m.text, m.attachment, m.created_at) for m in rows)
        return _record(row, messages)

    async def add_message(
        self, ticket_id: int, *, author: str, text: str, attachment: dict[str, str] | None = None
    ) -> None:
        await self.session.execute(
            insert(_messages).values(
                ticket_id=ticket_id,
                author=author[:100],
                text=text,
                attachment=attachment,
                created_at=self.now,
            )  # fmt: skip
        )
        await self.session.execute(
            update(_tickets).where(_tickets.c.id == ticket_id).values(updated_at=self.now)
        )

    async def set_status(self, ticket_id: int, status: str) -> None:
        await self.session.execute(
            update(_tickets)
            .where(_tickets.c.id == ticket_id)
            .values(status=status, updated_at=self.now)
        )

    async def queue(self, statuses: tuple[str, ...], limit: int = 50) -> list[TicketRecord]:
        rows = await self.session.execute(
            select(_tickets)
            .where(_tickets.c.status.in_(statuses))
            .order_by(_tickets.c.created_at, _tickets.c.id)
            .limit(limit)
        )
        return [_record(r) for r in rows]

    async def for_user(self, user_id: int) -> list[TicketRecord]:
        rows = await self.session.execute(
            select(_tickets).where(_tickets.c.user_id == user_id).order_by(_tickets.c.id.desc())
        )
        return [_record(r) for r in rows]

    async def cancel_reminder(self, ticket_id: int) -> None:
        await outbox_rows.cancel_by_key_prefix(self.session, reminder_key(ticket_id))

    async def audit(self, officer_id: str, action: str, subject: str, detail: str | None) -> None:
        await write_audit(self.session, officer_id, action, subject, detail, self.now)


async def write_audit(
    session: AsyncSession,
    officer_id: str,
    action: str,
    subject: str,
    detail: str | None,
    now: datetime,
) -> None:
    """One row of the officers' audit log (chat and web actions)."""
    await session.execute(
        insert(_audit).values(
            officer_id=officer_id[:100],
            action=action[:40],
            subject=subject[:100],
            detail=detail,
            at=now,
        )
    )
