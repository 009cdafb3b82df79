"""The questionnaire and the đề án template are validated at load time with file:line errors."""

import textwrap
from pathlib import Path

import pytest

from knowledge import KnowledgeError, load_knowledge
from knowledge.forms.engine import applies, next_step, parse_answer
from knowledge.forms.loader import load_form
from knowledge.parsing import ParseError
from knowledge.templates.de_an import load_template

HEAD = """\
id: test
version: 1
title: Thử
consent:
  version: "1"
  text: "Dạ, anh/chị đồng ý cho em dùng thông tin này để soạn đề án chứ ạ?"
steps:
"""
CHOICE = """\
  - id: kind
    kind: choice
    label: Loại
    prompt: "Loại nào?"
    help: "Ví dụ: A."
    options:
      - {value: a, label: A}
      - {value: b, label: B}
"""


def _write(tmp_path: Path, steps: str) -> Path:
    path = tmp_path / "form.yaml"
    path.write_text(HEAD + textwrap.dedent(steps), encoding="utf-8")
    return path


def _error(tmp_path: Path, steps: str) -> KnowledgeError:
    with pytest.raises(KnowledgeError) as info:
        load_form(_write(tmp_path, steps))
    return info.value


def test_shipped_form_and_template_load():
    kb = load_knowledge()
    form = kb.intake_form
    # 15–20 questions for the đề án, then the optional baseline section (issue 14).
    baseline = set(kb.followup.schedule.baseline)
    assert 15 <= len([q for q in form.steps if q.id not in baseline]) <= 20
    assert all(form.step(step).optional for step in baseline)
    kinds = {q.kind for q in form.steps}
    assert kinds == {
        "text",
        "choice",
        "number",
        "money",
        "date",
        "phone",
        "tax_code",
        "yes_no",
        "confirm",
    }
    for question in form.steps:
        for value in question.values():
            assert len(f"intake:ans:{question.id}:{value}".encode()) <= 64
    assert kb.counts()["de_an_sections"] == 9


def test_unknown_condition_target_names_the_line(tmp_path):
    error = _error(
        tmp_path,
        CHOICE
        + """\
  - id: machine
    kind: text
    label: Máy
    prompt: "Máy gì?"
    help: "Ví dụ: máy sấy."
    when: {kinds: [a]}
""",
    )
    assert error.line == 21
    assert "unknown target" in str(error)
    assert str(error).startswith(str(tmp_path))


def test_unknown_option_value_in_condition(tmp_path):
    error = _error(
        tmp_path,
        CHOICE
        + """\
  - id: machine
    kind: text
    label: Máy
    prompt: "Máy gì?"
    help: "Ví dụ: máy sấy."
    when: {kind: [c]}
""",
    )
    assert "no option 'c'" in str(error)


def test_unreachable_step(tmp_path):
    error = _error(
        tmp_path,
        CHOICE
        + """\
  - id: extra
    kind: yes_no
    label: Thêm
    prompt: "Thêm?"
    help: "Có hoặc không."
    when: {kind: [a]}
  - id: never
    kind: text
    label: Không bao giờ
    prompt: "?"
    help: "Ví dụ."
    when: {kind: [b], extra: ["yes"]}
""",
    )
    assert "unreachable" in str(error)
    assert error.line == 27


def test_duplicate_option_values(tmp_path):
    error = _error(
        tmp_path,
        """\
  - id: kind
    kind: choice
    label: Loại
    prompt: "Loại nào?"
    help: "Ví dụ: A."
    options:
      - {value: a, label: A}
      - {value: a, label: B}
""",
    )
    assert "duplicate option value 'a'" in str(error)
    assert error.line == 13


def test_unknown_kind_and_duplicate_ids(tmp_path):
    error = _error(
        tmp_path,
        """\
  - id: when_
    kind: calendar
    label: Ngày
    prompt: "?"
    help: "Ví dụ."
""",
    )
    assert error.line == 9
    assert "kind" in str(error)
    error = _error(tmp_path, CHOICE + CHOICE)
    assert "used twice" in str(error)


def test_template_with_an_unknown_field(tmp_path):
    source = Path("knowledge/templates/de_an.yaml").read_text(encoding="utf-8")
    path = tmp_path / "de_an.yaml"
    path.write_text(source.replace("{current_situation}", "{curent_situation}"), encoding="utf-8")
    form = load_knowledge().intake_form
    with pytest.raises(KnowledgeError) as info:
        load_template(path, set(form.ids()))
    line = next(
        i for i, text in enumerate(source.splitlines(), 1) if "{current_situation}" in text
    )
    assert info.value.line == line
    assert "curent_situation" in str(info.value)


def test_conditions_and_answers():
    form = load_knowledge().intake_form
    machine = form.step("machine")
    assert applies(machine, {"support_type": "day_chuyen"})
    assert not applies(machine, {"support_type": "khac"})
    after_support = next_step(form, {"support_type": "khac"}, "current_situation", ())
    assert after_support == "activity"
    end = form.step("end_date")
    today = __import__("datetime").date(2026, 11, 21)
    with pytest.raises(ParseError) as info:
        parse_answer(end, "01/01/2027", today=today, answers={"start_date": "2027-03-01"})
    assert "01/03/2027" in info.value.message
    assert "Ví dụ" in info.value.message
    start = form.step("start_date")
    with pytest.raises(ParseError):
        parse_answer(start, "01/01/2020", today=today, answers={})
    sector = form.step("sector")
    assert parse_answer(sector, "tieu thu cong nghiep", today=today, answers={}) == (
        "tieu_thu_cong_nghiep"
    )
    assert parse_answer(sector, "5", today=today, answers={}) == "tieu_thu_cong_nghiep"


def test_every_text_key_used_by_the_intake_exists():
    import re

    ui = load_knowledge().ui
    sources = ["handlers/intake.py", "handlers/intake_view.py", "handlers/intake_draft.py",
               "handlers/submissions.py"]  # fmt: skip
    keys = set()
    for source in sources:
        keys |= set(
            re.findall(r'"((?:intake|sub|menu|core)\.[a-z_.]+)"', Path(source).read_text())
        )
    keys -= {"intake.started", "intake.finished"}  # event names, not texts
    assert len(keys) > 40
    missing = sorted(k for k in keys if k not in ui)
    assert missing == []
