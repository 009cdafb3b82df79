"""/xoadulieu over every table (Base.metadata, so a new table is checked without edits).

A table may keep rows of the erased person only when it is in KEPT, with the reason; no row
of any table may still carry their name, phone, tax code, address or the words they typed.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.db.erasure import BLANK_PAYLOAD
from bot.db.models import Base, OutboxMessage
from bot.db.outbox import WAITING
from tests.intake_helpers import deliver, exists, full_intake
from tests.remkit import jobs_for
from tests.transcript import Chat

SECRETS = (
    "Nguyễn Văn An", "0912 345 678", "0912345678", "0101234567", "Tân Hòa", "Minh Anh",
    "Lan Bí Mật", "0987 654 321", "quaxyzzy",
)  # fmt: skip
# Tables that may keep a row of the erased person (by user_id / chat), and why.
KEPT = {
    "users": "platform account id, name removed: the bot still answers them, dedupes messages",
    "intake_consents": "proof of consent and of its withdrawal (dates and wording version)",
    "outbox": "delivery bookkeeping of their messages, text blanked, none left to send",
    "conversation_states": "their (now empty) conversation state",
    "processed_messages": "message ids already handled (no text)",
}


async def _victim_everywhere(app, clock) -> tuple[Chat, str]:
    victim = Chat(app.dispatcher, user="victim", channel="telegram")
    path = await full_intake(victim)
    await victim.say("/nhachan ngày 15/12 gọi chị Lan Bí Mật 0987 654 321")
    await victim.press("rem:add_ok")
    await victim.say("quaxyzzy phân xưởng của chị Lan Bí Mật bị gì vậy")
    officer = Chat(app.dispatcher, user="officer")
    await officer.press("sub:ack:1")
    await deliver(app)  # the officer notice and the acknowledgement are sent
    await officer.press("sub:more:1")
    await officer.say("Thiếu báo giá máy sấy của Nguyễn Văn An")  # queued, not yet sent
    await jobs_for(app, clock).materialize_due()  # reminders of both kinds queued
    return victim, path


async def test_erasure_leaves_nothing_of_the_person(app, clock):
    victim, path = await _victim_everywhere(app, clock)
    async with app.db.transaction() as session:
        waiting = (
            await session.execute(
                select(OutboxMessage).where(OutboxMessage.status.in_(WAITING))
            )
        ).scalars().all()
    assert any(r.kind == "reminder" for r in waiting), "the scenario queues reminders"
    await victim.say("/xoadulieu")
    await victim.press("intake:erase_yes")
    assert "đã xóa 1 hồ sơ" in victim.text
    assert "91/2025/QH15" in victim.text
    assert "chỉ giữ lại" in victim.text
    assert not exists(path)

    async with app.db.transaction() as session:
        victim_id = (
            await session.execute(select(Base.metadata.tables["users"].c.id).where(
                Base.metadata.tables["users"].c.external_id == "victim"))
        ).scalar_one()
        for table in Base.metadata.sorted_tables:
            rows = (await session.execute(select(table))).mappings().all()
            for row in rows:
                shown = " ".join(str(v) for v in row.values())
                leaked = [s for s in SECRETS if s in shown]
                assert not leaked, (table.name, leaked, shown[:200])
            mine = [
                r for r in rows
                if r.get("user_id") == victim_id or r.get("chat_id") == "victim"
                or r.get("asked_by") == victim_id or r.get("created_by") == victim_id
            ]  # fmt: skip
            if table.name == "users":
                mine = [r for r in rows if r["id"] == victim_id]
            if mine:
                assert table.name in KEPT, (table.name, mine[:2])
        outbox = (await session.execute(select(OutboxMessage))).scalars().all()
    theirs = [r for r in outbox if r.chat_id == "victim" or r.dedupe_key.startswith("sub:1:")]
    assert theirs, "the scenario had messages to and about the person"
    assert all(r.payload == BLANK_PAYLOAD for r in theirs)
    assert not [r for r in theirs if r.status in WAITING]
    sent = await deliver(app)
    assert all(chat != "victim" for chat, _ in sent["telegram"].sent)
