"""Reminder policy as data: knowledge/reminders/policy.yaml, validated, applied when planning."""

from __future__ import annotations

import dataclasses
from datetime import time
from pathlib import Path

import pytest

from knowledge import KnowledgeError, load_knowledge
from knowledge.reminder_policy import QuietHours, load_policy
from tests.remkit import HCM, jobs_for, local, officer, outbox_rows

GOOD = """\
remind_at: "08:00"
offsets:
  calendar: [14, 7, 3, 1, 0]
  personal: [3, 0]
milestones: {start: [7], report: [3], end: [1], acceptance: [1], dossier: [1], settlement: [1]}
quiet_kinds: [reminder, broadcast]
"""


def _load(tmp_path: Path, text: str):
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    return load_policy(path)


def test_shipped_policy_is_the_documented_one():
    policy = load_knowledge().reminders
    assert policy.remind_at == time(8, 0)
    assert policy.offsets == {"calendar": (14, 7, 3, 1, 0), "personal": (14, 7, 3, 1, 0)}
    assert policy.milestones["start"] == (7, 1, 0)
    # Check-ins after support (issue 14) wait out quiet hours like reminders.
    assert policy.quiet_kinds == {"reminder", "broadcast", "checkin"}
    # The quiet window lives beside the kinds it holds (issue 16); SPEC §2's 21-7.
    assert policy.quiet_hours == QuietHours(21, 7)


@pytest.mark.parametrize(
    ("change", "line", "message"),
    [
        (('"08:00"', '"8h"'), 1, "remind_at: expected HH:MM"),
        (("[3, 0]", "[3, 3]"), 4, "offsets.personal: days must be distinct"),
        (("[3, 0]", "[-1]"), 4, "between 0 and 366"),
        (("  personal: [3, 0]\n", ""), 2, "offsets: missing ['personal']"),
        (("[reminder, broadcast]", "[reminder, spam]"), 6, "quiet_kinds"),
        (("quiet_kinds:", 'quiet_hours: "21h-7"\nquiet_kinds:'), 6, "quiet_hours: expected"),
        (("quiet_kinds:", 'quiet_hours: "21-24"\nquiet_kinds:'), 6, "between 0 and 23"),
    ],
)
def test_bad_policy_names_file_and_line(tmp_path, change, line, message):
    with pytest.raises(KnowledgeError) as info:
        _load(tmp_path, GOOD.replace(*change))
    assert f"policy.yaml:{line}:" in str(info.value)
    assert message in str(info.value)


async def test_policy_applies_to_deadlines_already_stored(app, chat, clock):
    await chat.press("rem:sub")
    boss = officer(app)
    await boss.say("/hanmoi 15/12/2026 | Nộp hồ sơ bình chọn sản phẩm tiêu biểu")
    assert "Đã thêm hạn #1" in boss.text
    # The officer's deadline is stored; the policy changes before reminders are planned.
    policy = dataclasses.replace(
        app.kb.reminders, offsets={"calendar": (2, 0), "personal": (0,)}, remind_at=time(9, 30)
    )
    app.kb = dataclasses.replace(app.kb, reminders=policy)
    assert await jobs_for(app, clock).materialize_due() == 2
    rows = await outbox_rows(app, kind="reminder")
    assert [r.due_at.astimezone(HCM) for r in rows] == [
        local(2026, 12, 13, 9, 30),
        local(2026, 12, 15, 9, 30),
    ]


@pytest.mark.parametrize(
    ("setting", "window"), [(None, QuietHours(6, 9)), (QuietHours(22, 5), QuietHours(22, 5))]
)
def test_quiet_window_from_the_policy_unless_bot_quiet_hours_overrides(
    app, clock, setting, window
):
    policy = dataclasses.replace(app.kb.reminders, quiet_hours=QuietHours(6, 9))
    app.kb = dataclasses.replace(app.kb, reminders=policy)
    app.settings = app.settings.model_copy(update={"quiet_hours": setting})
    jobs = jobs_for(app, clock)
    assert jobs.quiet == window
    assert jobs.delivery.quiet_hours == window
