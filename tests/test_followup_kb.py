"""`kb check` on knowledge/followup/: schedule and check-in questions fail with file:line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from knowledge import KnowledgeError, load_knowledge
from knowledge.followup import load_followup
from knowledge.forms.engine import means_unknown

SOURCE = Path(__file__).resolve().parent.parent / "knowledge" / "followup"


@pytest.fixture(scope="module")
def intake():
    return load_knowledge().intake_form


def _copy(tmp_path: Path, name: str, old: str, new: str) -> Path:
    folder = tmp_path / "followup"
    shutil.copytree(SOURCE, folder)
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("name", "old", "new", "where", "message"),
    [
        ("schedule.yaml", "offsets_months: [3, 6, 12]", "offsets_months: [3, 12, 6]",
         "schedule.yaml:6", "strictly increasing"),
        ("schedule.yaml", 'send_time: "09:00"', 'send_time: "9h"', "schedule.yaml:7", "send_time"),
        ("schedule.yaml", "reminder_after_days: 7", "reminder_after_days: 50",
         "schedule.yaml:8", "smaller than expires_after_days"),
        ("schedule.yaml", "energy_use]", "dien_nang]", "schedule.yaml:11", "'dien_nang'"),
        ("checkin.yaml", "  - id: workers\n    kind: number", "  - id: workers\n    kind: text",
         "checkin.yaml:18", "kinds must match"),
        ("checkin.yaml", 'when: {operating: ["yes"]}', 'when: {operating: ["co"]}',
         "checkin.yaml:21", "no option 'co'"),
    ],
)  # fmt: skip
def test_invalid_followup_files_name_file_and_line(tmp_path, intake, name, old, new, where,
                                                   message):  # fmt: skip
    folder = _copy(tmp_path, name, old, new)
    with pytest.raises(KnowledgeError) as info:
        load_followup(folder, intake)
    assert where in str(info.value)
    assert message in str(info.value)


def test_shipped_followup_loads(intake):
    followup = load_followup(SOURCE, intake)
    assert followup.schedule.offsets_months == (3, 6, 12)
    assert 5 <= len(followup.form.steps) <= 7
    assert followup.compared == ("workers", "wage", "revenue")
    assert all(q.optional for q in followup.form.steps[1:])


@pytest.mark.parametrize(
    ("text", "unknown"),
    [("không rõ", True), ("ko biet", True), ("Không biết.", True), ("k bit", True),
     ("không", False), ("12", False), ("chưa", False)],
)  # fmt: skip
def test_means_unknown(text, unknown):
    assert means_unknown(text) is unknown
