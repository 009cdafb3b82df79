"""Walks a questionnaire: which steps apply, where to go next, and reading one answer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from typing import Any

from knowledge.formatting import format_date, format_money
from knowledge.forms.schema import Form, Question
from knowledge.parsing import (
    ParseError,
    parse_date,
    parse_money,
    parse_phone,
    parse_tax_code,
)
from knowledge.parsing.counts import parse_count
from knowledge.parsing.fold import fold
from knowledge.parsing.yes_no import read_yes_no

Answers = Mapping[str, Any]
TEXT_MAX = 1500
# Typed to an optional question, these mean "I don't know": the step is skipped, never stored
# as a value (a missing figure must not become a zero in the effectiveness report).
_UNKNOWN = {
    "khong ro", "khong biet", "chua ro", "chua biet", "ko ro", "ko biet", "k ro", "k biet",
    "khong nho", "chiu", "khong co so lieu",
    "khong co", "ko co", "k co", "kg co", "chua co", "chua co so lieu", "khong co a",
    "bo qua",
}  # fmt: skip
# Polite or casual tails that do not change the meaning: "không biết ạ", "chưa có nha".
_TAILS = (" a", " nha", " nhe", " em", " anh", " chi", " ah")


def means_unknown(text: str) -> bool:
    """True for "không rõ", "không biết", "ko bit", "chưa có", "ko có ạ"… typed to an
    optional question (folded, trailing punctuation and polite tails ignored)."""
    folded = fold(text).rstrip(".!?… ").replace("bit", "biet")
    for tail in _TAILS:
        folded = folded.removesuffix(tail)
    return folded in _UNKNOWN


def applies(question: Question, answers: Answers) -> bool:
    """A step applies when every step its condition tests holds one of the listed values."""
    return all(answers.get(field) in allowed for field, allowed in question.when.items())


def next_step(
    form: Form, answers: Answers, after: str | None, skip: Collection[str]
) -> str | None:
    """The next applicable step after `after` (from the start when None), passing over `skip`."""
    ids = form.ids()
    start = ids.index(after) + 1 if after in ids else 0
    for question in form.steps[start:]:
        if question.id not in skip and applies(question, answers):
            return question.id
    return None


def previous_step(form: Form, answers: Answers, before: str, skip: Collection[str]) -> str | None:
    ids = form.ids()
    end = ids.index(before) if before in ids else len(ids)
    for question in reversed(form.steps[:end]):
        if question.id not in skip and applies(question, answers):
            return question.id
    return None


def first_unanswered(form: Form, answers: Answers, skipped: Collection[str]) -> str | None:
    """After an edit, a step that now applies but was never answered (or None: summary)."""
    for question in form.steps:
        if (
            applies(question, answers)
            and question.id not in answers
            and question.id not in skipped
        ):
            return question.id
    return None


def skipped_steps(form: Form, answers: Answers) -> list[str]:
    """The optional steps that apply but hold no answer: skipped when these answers were
    given (a stored submission keeps answers only), so reopening it does not ask them again."""
    return [q.id for q in form.steps if q.optional and applies(q, answers) and q.id not in answers]


def shown(form: Form, answers: Answers) -> list[Question]:
    """The steps that apply to these answers, in order (the summary's fields)."""
    return [q for q in form.steps if applies(q, answers)]


def parse_answer(question: Question, text: str, *, today: dt.date, answers: Answers) -> Any:
    """The stored (JSON) value of a typed answer; ParseError with reason and example otherwise."""
    value = _parse(question, text.strip(), today)
    _check_bounds(question, value, today, answers)
    return value


def _parse(question: Question, text: str, today: dt.date) -> Any:
    kind = question.kind
    if kind == "text":
        if sum(ch.isalnum() for ch in text) < max(2, int(question.min or 2)):
            raise _reason(question, "Dạ, câu trả lời ngắn quá.")
        limit = int(question.max or TEXT_MAX)
        if len(text) > limit:
            raise _reason(question, f"Dạ, câu trả lời dài quá (tối đa {limit} ký tự).")
        return text
    if kind == "money":
        return parse_money(text)
    if kind == "date":
        return parse_date(text, today=today, end=question.end).isoformat()
    if kind == "phone":
        return parse_phone(text)
    if kind == "tax_code":
        return parse_tax_code(text)
    if kind == "number":
        try:
            return parse_count(text)
        except ParseError as exc:
            raise _reason(question, exc.message) from None
    if kind == "choice":
        return _choice(question, text)
    return _yes_no(question, text)


def _choice(question: Question, text: str) -> str:
    folded = fold(text)
    if folded.isdigit() and 1 <= int(folded) <= len(question.options):
        return question.options[int(folded) - 1].value
    for option in question.options:
        if folded in (fold(option.label), option.value.replace("_", " "), option.value):
            return option.value
    starts = [o for o in question.options if folded and fold(o.label).startswith(folded)]
    if len(starts) == 1:
        return starts[0].value
    raise _reason(question, "Dạ, em chưa khớp được câu trả lời với lựa chọn nào.")


def _yes_no(question: Question, text: str) -> str:
    answer = read_yes_no(fold(text).rstrip(".!"))
    if answer is not None:
        return "yes" if answer else "no"
    raise _reason(question, "Dạ, anh/chị trả lời giúp em “Có” hoặc “Không”.")


def invalidated(form: Form, answers: Answers, changed: str, today: dt.date) -> list[str]:
    """Answers that no longer hold after `changed` changed (support above a lowered total…)."""
    stale = []
    for question in form.steps:
        if changed not in (question.at_most, question.after) or question.id not in answers:
            continue
        try:
            _check_bounds(question, answers[question.id], today, answers)
        except ParseError:
            stale.append(question.id)
    return stale


def _check_bounds(question: Question, value: Any, today: dt.date, answers: Answers) -> None:
    if question.kind in ("number", "money"):
        if question.min is not None and value < question.min:
            raise _reason(question, f"Dạ, số này phải từ {_num(question.min)} trở lên.")
        if question.max is not None and value > question.max:
            raise _reason(question, f"Dạ, số này phải không quá {_num(question.max)}.")
    if question.at_most and isinstance(answers.get(question.at_most), int):
        limit = answers[question.at_most]
        if value > limit:
            raise _reason(
                question, f"Dạ, số tiền này lớn hơn {format_money(limit)} đã khai ở câu trước."
            )
    if question.kind == "date":
        day = dt.date.fromisoformat(value)
        if question.not_past and day < today:
            raise _reason(question, f"Dạ, ngày {format_date(day)} đã qua.")
        earlier = answers.get(question.after) if question.after else None
        if isinstance(earlier, str) and day < dt.date.fromisoformat(earlier):
            raise _reason(
                question,
                f"Dạ, ngày này phải sau ngày {format_date(dt.date.fromisoformat(earlier))}.",
            )


def _num(value: float) -> str:
    return f"{int(value):,}".replace(",", ".")


def _reason(question: Question, reason: str) -> ParseError:
    return ParseError(f"{reason} {question.help}")


def display(question: Question, value: Any) -> str:
    """How an answer reads in the summary and the draft."""
    if value is None:
        return "—"
    if question.kind == "money":
        return format_money(int(value))
    if question.kind == "date":
        return format_date(dt.date.fromisoformat(value))
    if question.kind == "choice":
        return question.label_of(value)
    if question.kind in ("yes_no", "confirm"):
        return "Có" if value == "yes" else "Không"
    if question.kind == "number":
        return _num(value)
    return str(value)
