"""Helpers of the reminders tests: jobs on the test app, local times, outbox rows."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.db.models import OutboxMessage
from bot.reminders import ReminderJobs
from tests.fakes import RecordingSender
from tests.transcript import Chat

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
_outbox = OutboxMessage.__table__


def local(year: int, month: int, day: int, hour: int = 8, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=HCM)


def jobs_for(app, clock, sender: RecordingSender | None = None, **options) -> ReminderJobs:
    sender = sender or RecordingSender()
    return ReminderJobs(app.db, app.kb, app.settings, clock, {sender.channel: sender}, **options)


async def outbox_rows(app, **where) -> list:
    query = select(_outbox).order_by(_outbox.c.due_at, _outbox.c.id)
    for column, value in where.items():
        query = query.where(_outbox.c[column] == value)
    async with app.db.transaction() as session:
        return list((await session.execute(query)).all())


def officer(app) -> Chat:
    return Chat(app.dispatcher, user="officer")
