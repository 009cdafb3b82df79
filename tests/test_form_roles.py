"""Forms declare what code reads: `role:` per step, a valid `prefill_from` (kb check)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from knowledge import KnowledgeError, load_knowledge
from knowledge.forms.loader import load_form
from knowledge.forms.roles import INTAKE_ROLES, Role

HEAD = """\
id: test
version: 1
title: Thử
consent:
  version: "1"
  text: "Dạ, anh/chị đồng ý cho em dùng thông tin này để soạn đề án chứ ạ?"
steps:
"""


def _step(step_id: str, kind: str = "text", extra: str = "") -> str:
    return textwrap.indent(
        f'- id: {step_id}\n  kind: {kind}\n  label: Nhãn\n  prompt: "Hỏi?"\n  help: "Ví dụ."\n'
        + textwrap.indent(textwrap.dedent(extra), "  "),
        "  ",
    )


def _error(tmp_path: Path, steps: str, required: frozenset[str] = frozenset()) -> str:
    path = tmp_path / "form.yaml"
    path.write_text(HEAD + steps, encoding="utf-8")
    with pytest.raises(KnowledgeError) as info:
        load_form(path, required)
    return str(info.value)


def test_shipped_intake_declares_every_role_code_reads():
    form = load_knowledge().intake_form
    assert {q.role for q in form.steps if q.role} == set(INTAKE_ROLES)
    answers = {form.by_role(Role.ESTABLISHMENT).id: "Cơ sở bún Tư Hải"}
    assert form.answer(answers, Role.ESTABLISHMENT) == "Cơ sở bún Tư Hải"
    assert form.answer(answers, Role.PHONE) is None


def test_unknown_role_points_at_its_line(tmp_path):
    message = _error(tmp_path, _step("name", extra="role: ten_co_so\n"))
    assert "form.yaml:13" in message
    assert "unknown role 'ten_co_so'" in message


def test_duplicate_role(tmp_path):
    steps = _step("a", extra="role: establishment\n") + _step("b", extra="role: establishment\n")
    message = _error(tmp_path, steps)
    assert "role 'establishment' is declared twice (steps 'a' and 'b')" in message


def test_role_on_a_step_of_the_wrong_kind(tmp_path):
    message = _error(tmp_path, _step("when", "date", "role: phone\n"))
    assert "role 'phone' needs a phone step, not date" in message


def test_a_role_the_code_needs_is_missing(tmp_path):
    message = _error(tmp_path, _step("a", extra="role: establishment\n"), INTAKE_ROLES)
    assert "form.yaml:7" in message
    assert "no step declares the role(s)" in message
    assert "phone" in message


def test_prefill_from_must_name_an_eligibility_choice(tmp_path):
    choice = "options:\n  - {value: ho_kinh_doanh, label: Hộ}\n  - {value: khac, label: Khác}\n"
    message = _error(tmp_path, _step("kind", "choice", choice + "prefill_from: loai_hinh\n"))
    assert "prefill_from: 'loai_hinh' is not an eligibility choice" in message
    message = _error(tmp_path, _step("kind", "text", "prefill_from: entity_type\n"))
    assert "prefill_from only applies to a choice step" in message
    unrelated = "options:\n  - {value: a, label: A}\n  - {value: b, label: B}\n"
    message = _error(tmp_path, _step("kind", "choice", unrelated + "prefill_from: entity_type\n"))
    assert "nothing could be filled in" in message
