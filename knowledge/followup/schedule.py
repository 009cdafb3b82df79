"""When supported establishments are asked how they are doing: the schedule file and its plan.

The 2026 national guidance moves khuyến công evaluation to results after support; Quảng Ninh's
2014–2020 review found follow-up after support "chưa thường xuyên". The offsets (months after
the completion date), send time, reminder delay and expiry are data in `schedule.yaml`.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from knowledge.forms.loader import load_form
from knowledge.forms.schema import Form
from knowledge.yamlfile import KnowledgeError, LineDict, load_yaml


class Schedule(BaseModel):
    """`offsets_months` strictly increasing; `send_time` "HH:MM" local; delays in days."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    offsets_months: tuple[int, ...] = Field(min_length=1, max_length=12)
    send_time: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    reminder_after_days: int = Field(ge=1, le=60)
    expires_after_days: int = Field(ge=1, le=365)
    baseline: tuple[str, ...] = ()

    @field_validator("offsets_months")
    @classmethod
    def _increasing(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(not 1 <= m <= 120 for m in value):
            raise ValueError("every offset must be between 1 and 120 months")
        if any(b <= a for a, b in zip(value, value[1:], strict=False)):
            raise ValueError("offsets must be strictly increasing, e.g. [3, 6, 12]")
        return value

    @property
    def local_time(self) -> time:
        hour, minute = self.send_time.split(":")
        return time(int(hour), int(minute))


@dataclass(frozen=True, slots=True)
class PlannedCheckin:
    """One check-in: when it is sent, when its single reminder is, when both stop mattering."""

    offset_months: int
    due_at: datetime
    reminder_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Followup:
    schedule: Schedule
    form: Form
    # Check-in steps that repeat a baseline step of the intake (same id and kind).
    compared: tuple[str, ...]


def add_months(day: date, months: int) -> date:
    """Same day `months` later, clamped to the month's end (31/01 + 1 → 28/02 or 29/02)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def plan_checkins(completed_on: date, schedule: Schedule, tz: tzinfo) -> list[PlannedCheckin]:
    """The check-ins after a completion date, at the schedule's local send time (UTC-aware)."""
    plan = []
    for months in schedule.offsets_months:
        due = datetime.combine(add_months(completed_on, months), schedule.local_time, tzinfo=tz)
        plan.append(
            PlannedCheckin(
                offset_months=months,
                due_at=due,
                reminder_at=due + timedelta(days=schedule.reminder_after_days),
                expires_at=due + timedelta(days=schedule.expires_after_days),
            )
        )
    return plan


def load_followup(folder: Path, intake: Form) -> Followup:
    """`schedule.yaml` and `checkin.yaml`; KnowledgeError with file:line on the first problem."""
    path = folder / "schedule.yaml"
    data = load_yaml(path)
    if not isinstance(data, LineDict):
        raise KnowledgeError(path, 1, "expected a mapping (offsets_months, send_time, …)")
    try:
        schedule = Schedule.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        key = str(error["loc"][0]) if error["loc"] else ""
        raise KnowledgeError(path, data.line_of(key), f"{key}: {error['msg']}") from None
    if schedule.reminder_after_days >= schedule.expires_after_days:
        raise KnowledgeError(
            path,
            data.line_of("reminder_after_days"),
            "reminder_after_days must be smaller than expires_after_days",
        )
    for step in schedule.baseline:
        if intake.step(step) is None:
            raise KnowledgeError(
                path, data.line_of("baseline"), f"baseline: the intake has no step {step!r}"
            )
    form_path = folder / "checkin.yaml"
    form = load_form(form_path)
    if any(q.personal for q in form.steps):
        raise KnowledgeError(form_path, None, "check-in questions must not ask personal data")
    compared = []
    raw = load_yaml(form_path).get("steps", [])
    for question, node in zip(form.steps, raw, strict=True):
        base = intake.step(question.id)
        if base is None:
            continue
        if base.kind != question.kind:
            raise KnowledgeError(
                form_path,
                node.line_of("kind") if isinstance(node, LineDict) else None,
                f"step {question.id!r} is {question.kind} but the intake's baseline step "
                f"is {base.kind}; they are compared, so the kinds must match",
            )
        compared.append(question.id)
    return Followup(schedule, form, tuple(compared))
