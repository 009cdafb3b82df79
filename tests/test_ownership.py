"""Ids of another user's records, in every button payload and command that carries one.

The list comes from the capabilities themselves (`id_payloads`, `id_commands`), and a scan of
the handlers' source fails when a payload with an id is built but not declared there.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from bot.db.models_reminders import Deadline
from tests.dbsnapshot import snapshot
from tests.intake_helpers import full_intake
from tests.transcript import Chat

SECRETS = ("Lan Bí Mật", "0987 654 321", "Nguyễn Văn An", "0912 345 678", "Minh Anh", "0101234567")
# Rows a press by anyone may change: the sender's own user row, state and dedupe marks.
_OWN_BOOKKEEPING = frozenset({"users", "conversation_states", "processed_messages"})
# Payloads built with a value that is not a record id (public knowledge, not data of anyone).
NOT_RECORD_IDS = {
    ("faq", "t"): "topic ids of the knowledge base",
    ("faq", "more"): "topic id and page number of the knowledge base",
    ("elig", "a"): "an answer value of the eligibility questions",
    ("chk", "ans"): "a check-in question id and an answer value",
    ("intake", "ans"): "an intake question id and an answer value",
    ("intake", "edit"): "an intake question id (of the user's own draft in their state)",
    ("intake", "edit_section"): "a section number of the intake form",
}
_PAYLOAD_WITH_VALUE = re.compile(r'f"([a-z_]+):([a-z_]+):\{')
# The same with the prefix from a module constant: f"{CAP}:take:{ticket_id}".
_PAYLOAD_WITH_CONSTANT = re.compile(r'f"\{([A-Z_]+)\}:([a-z_]+):\{')
_CONSTANT = re.compile(r'^([A-Z_]+) = "([a-z_]+)"$', re.MULTILINE)


async def _victim_records(app) -> dict[str, int]:
    victim = Chat(app.dispatcher, user="victim")
    await full_intake(victim)
    await victim.say("/nhachan ngày 15/12 gọi chị Lan Bí Mật 0987 654 321")
    await victim.press("rem:add_ok")
    assert "Lan Bí Mật" in victim.text
    await victim.say("/hoicanbo Em là Lan Bí Mật, số 0987 654 321, hỏi về máy sấy ạ")
    assert "YC-1" in victim.text
    officer = Chat(app.dispatcher, user="officer")
    await officer.press("sub:ack:1")  # the dossier's milestones become the victim's deadlines
    async with app.db.transaction() as session:
        rows = (await session.execute(select(Deadline.id, Deadline.kind))).all()
    personal = next(r.id for r in rows if r.kind == "personal")
    milestone = next(r.id for r in rows if r.kind == "milestone")
    return {"submission": 1, "deadline": personal, "milestone": milestone, "ticket": 1}


def _ids_for(kind: str, records: dict[str, int]) -> list[int]:
    if kind == "deadline":
        return [records["deadline"], records["milestone"]]
    if kind == "submission":
        return [records["submission"]]
    if kind == "ticket":
        return [records["ticket"]]
    return sorted(set(records.values()))  # "officer": any record at all


async def test_no_payload_or_command_reaches_another_users_records(app):
    records = await _victim_records(app)
    before = await snapshot(app, skip=_OWN_BOOKKEEPING)
    stranger = Chat(app.dispatcher, user="stranger")
    probes: list[tuple[str, str]] = []
    for cap in app.dispatcher.core.capabilities():
        for verb, kind in cap.id_payloads.items():
            probes += [("press", f"{cap.name}:{verb}:{i}") for i in _ids_for(kind, records)]
        for command, kind in cap.id_commands.items():
            probes += [("say", f"/{command} {i}") for i in _ids_for(kind, records)]
    assert {p for _, p in probes} >= {
        f"rem:snooze:{records['deadline']}",
        f"rem:done:{records['milestone']}",
        "intake:revise:1",
        "sub:open:1",
        "officer:close:1",
        "officer:answer:1",
        "/traloi 1",
    }
    for how, probe in probes:
        replies = await (stranger.press(probe) if how == "press" else stranger.say(probe))
        assert replies, probe
        assert stranger.text.startswith("Dạ"), probe
        shown = stranger.text + " ".join(d.path for r in replies for d in r.documents)
        leaked = [s for s in SECRETS if s in shown]
        assert not leaked, (probe, leaked)
        assert await snapshot(app, skip=_OWN_BOOKKEEPING) == before, probe
    assert "Lan Bí Mật" not in stranger.text


async def test_the_owner_still_uses_their_own_ids(app):
    records = await _victim_records(app)
    victim = Chat(app.dispatcher, user="victim")
    await victim.press(f"rem:snooze:{records['deadline']}")
    assert "Lan Bí Mật" in victim.text
    await victim.press(f"rem:done:{records['milestone']}")
    assert "nút này đã cũ" not in victim.text


def _payloads_built_with_values() -> set[tuple[str, str]]:
    built: set[tuple[str, str]] = set()
    sources = [p.read_text(encoding="utf-8") for p in Path("handlers").glob("*.py")]
    constants = {name: value for s in sources for name, value in _CONSTANT.findall(s)}
    for source in sources:
        local = constants | dict(_CONSTANT.findall(source))  # CAP differs per module
        built |= set(_PAYLOAD_WITH_VALUE.findall(source))
        built |= {(local[c], verb) for c, verb in _PAYLOAD_WITH_CONSTANT.findall(source)}
    return built


async def test_every_payload_with_an_id_is_declared(app):
    caps = app.dispatcher.core.capabilities()
    declared = {(cap.name, verb) for cap in caps for verb in cap.id_payloads}
    built = _payloads_built_with_values()
    assert ("rem", "snooze") in built
    assert ("officer", "take") in built  # built as f"{CAP}:take:{ticket_id}"
    undeclared = built - declared - set(NOT_RECORD_IDS)
    assert not undeclared, f"declare these in Capability.id_payloads: {sorted(undeclared)}"
