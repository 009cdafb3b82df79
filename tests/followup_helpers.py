"""Shared steps of the follow-up tests: a supported dossier, check-in rows, dispatch passes."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import build_app
from bot.db.models import OutboxMessage
from bot.db.models_followup import Checkin, SupportRecord
from bot.reminders import ReminderJobs
from handlers.messages import Reply
from tests.fakes import RecordingSender
from tests.intake_helpers import deliver, full_intake
from tests.remkit import HCM, local
from tests.transcript import Chat

_outbox = OutboxMessage.__table__

__all__ = ["HCM", "local"]


async def supported_dossier(app, chat: Chat, argument: str = "1 300tr 520tr 15/11/2026") -> Chat:
    """Intake with baseline, officer acknowledges, then /dahotro; returns the officer's chat."""
    await full_intake(chat)
    await deliver(app)
    officer = Chat(app.dispatcher, user="officer")
    await officer.press("sub:ack:1")
    await officer.say(f"/dahotro {argument}")
    return officer


async def checkin_rows(app) -> list:
    query = select(_outbox).where(_outbox.c.dedupe_key.like("chk:%")).order_by(_outbox.c.id)
    async with app.db.transaction() as session:
        return list((await session.execute(query)).all())


async def by_key(app) -> dict[str, object]:
    return {row.dedupe_key: row for row in await checkin_rows(app)}


async def supports(app) -> list:
    async with app.db.transaction() as session:
        return list((await session.execute(select(SupportRecord.__table__))).all())


async def checkins(app) -> list:
    table = Checkin.__table__
    async with app.db.transaction() as session:
        query = select(table).order_by(table.c.offset_months)
        return list((await session.execute(query)).all())


class Pusher:
    """Dispatch passes at given local times through the real outbox, recording what was sent."""

    def __init__(self, app, clock) -> None:
        self.sender = RecordingSender("console")
        self.clock = clock
        self.jobs = ReminderJobs(app.db, app.kb, app.settings, clock, {"console": self.sender})

    async def at(self, when) -> list[Reply]:
        self.clock.set(when)
        before = len(self.sender.sent)
        await self.jobs.dispatch()
        return [reply for _, reply in self.sender.sent[before:]]

    def checkin_messages(self) -> list[Reply]:
        return [
            r
            for _, r in self.sender.sent
            if any(b.payload.startswith("chk:go:") for b in r.buttons)
        ]


def go_payload(reply: Reply) -> str:
    return next(b.payload for b in reply.buttons if b.payload.startswith("chk:go:"))


async def restart(app, clock):
    """A new app instance on the same database (the old one is closed)."""
    await app.close()
    return await build_app(app.settings, clock=clock, migrate=False)
