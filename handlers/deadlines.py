"""Deadlines as plain values: whom they concern, when to remind, and submission milestones."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

from handlers.messages import Button, Reply
from knowledge.formatting import format_date
from knowledge.reminder_policy import ReminderPolicy
from knowledge.ui import UiTexts

# TT 36/2013/TT-BCT Đ23: monthly progress report "trước ngày 25" → due on the 24th.
PROGRESS_REPORT_DAY = 24
# TT 36/2013/TT-BCT Đ18: settlement dossier ≤ 15 days after acceptance; settle by 22/01.
SETTLEMENT_DOSSIER_DAYS = 15
SETTLEMENT_DAY = (1, 22)

AudienceKind = Literal["all", "sector", "submission", "user"]
DeadlineKind = Literal["calendar", "milestone", "personal"]


@dataclass(frozen=True, slots=True)
class Audience:
    kind: AudienceKind = "all"
    value: str | None = None


@dataclass(frozen=True, slots=True)
class DeadlineDraft:
    title: str
    due_on: date
    due_time: time | None = None
    description: str | None = None
    source: str | None = None
    kind: DeadlineKind = "calendar"
    audience: Audience = field(default_factory=Audience)
    # Days before the deadline (0: the day itself). Empty for calendar and personal deadlines:
    # their offsets come from knowledge/reminders/policy.yaml when reminders are planned.
    offsets: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class DeadlineView:
    id: int
    revision: int
    draft: DeadlineDraft


@dataclass(frozen=True, slots=True)
class Occurrence:
    offset: int
    due_at: datetime
    expires_at: datetime


class QuietWindow(Protocol):
    """bot.config.QuietHours satisfies this: a local [start, end) window in whole hours."""

    @property
    def start(self) -> int: ...

    @property
    def end(self) -> int: ...

    def contains(self, hour: int) -> bool: ...


def _local_midnight_after(moment: datetime, tz: ZoneInfo) -> datetime:
    day = moment.astimezone(tz).date() + timedelta(days=1)
    return datetime.combine(day, time(0), tz)


def deadline_end(due_on: date, due_time: time | None, tz: ZoneInfo) -> datetime:
    """The moment a deadline passes: its time on the day, else the end of that local day."""
    if due_time is not None:
        return datetime.combine(due_on, due_time, tz)
    return datetime.combine(due_on + timedelta(days=1), time(0), tz)


def release_time(moment: datetime, quiet: QuietWindow, tz: ZoneInfo) -> datetime:
    """`moment`, or the end of the quiet window it falls in (local time)."""
    local = moment.astimezone(tz)
    if not quiet.contains(local.hour):
        return moment
    end = datetime.combine(local.date(), time(quiet.end), tz)
    return end if end > local else end + timedelta(days=1)


def plan_occurrences(
    due_on: date,
    due_time: time | None,
    offsets: tuple[int, ...],
    tz: ZoneInfo,
    quiet: QuietWindow,
    *,
    remind_at: time,
) -> list[Occurrence]:
    """One reminder per offset at `remind_at` local time (knowledge/reminders/policy.yaml),
    each valid only on its own local day and before the deadline.

    A reminder still unsent at the end of its day is stale (its "còn N ngày" would be wrong):
    the dispatcher marks it expired, and the next offset takes over.
    """
    end = deadline_end(due_on, due_time, tz)
    planned = []
    for offset in sorted(set(offsets), reverse=True):
        nominal = datetime.combine(due_on - timedelta(days=offset), remind_at, tz)
        due = release_time(nominal, quiet, tz)
        expires = min(end, _local_midnight_after(due, tz))
        if due < expires:
            planned.append(Occurrence(offset, due, expires))
    return planned


def reminder_reply(ui: UiTexts, view: DeadlineView, send_day: date) -> Reply:
    """The reminder message with its three buttons (payloads fixed by the reminders flow)."""
    draft = view.draft
    left = (draft.due_on - send_day).days
    when = ui.text("rem.when_today") if left <= 0 else ui.text("rem.when_days", days=left)
    hour = f" {draft.due_time:%H:%M}" if draft.due_time else ""
    lines = [ui.text("rem.reminder", title=draft.title, date=format_date(draft.due_on) + hour)]
    lines.append(when)
    if draft.description:
        lines.append(draft.description)
    if draft.source:
        lines.append(ui.text("rem.source", source=draft.source))
    buttons = (
        Button(ui.text("rem.btn_done"), f"rem:done:{view.id}"),
        Button(ui.text("rem.btn_snooze"), f"rem:snooze:{view.id}"),
        Button(ui.text("rem.btn_off"), "rem:off"),
    )
    return Reply("\n".join(lines), buttons)


def _months(start: date, end: date) -> list[tuple[int, int]]:
    months, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def submission_milestones(
    ui: UiTexts,
    submission_ref: str,
    *,
    start: date,
    end: date,
    policy: ReminderPolicy,
    acceptance: date | None = None,
) -> list[DeadlineDraft]:
    """The deadlines an approved project owes (TT 36/2013/TT-BCT Đ18, Đ23, original text),
    each with the offsets the policy gives its milestone."""
    if end < start:
        raise ValueError("a submission cannot end before it starts")
    audience = Audience("submission", submission_ref)
    note = ui.text("rem.milestone_note")

    def draft(key: str, day: date, source: str, **values: object) -> DeadlineDraft:
        title = ui.text(f"rem.milestone.{key}", **values)
        offsets = policy.milestones[key]
        return DeadlineDraft(title, day, None, note, source, "milestone", audience, offsets)

    drafts = [draft("start", start, "Quyết định phê duyệt đề án")]
    for year, month in _months(start, end):
        day = date(year, month, min(PROGRESS_REPORT_DAY, calendar.monthrange(year, month)[1]))
        if start <= day <= end:
            label = f"{month:02d}/{year}"
            drafts.append(draft("report", day, "TT 36/2013/TT-BCT Đ23", month=label))
    drafts.append(draft("end", end, "Quyết định phê duyệt đề án"))
    if acceptance is not None:
        drafts.append(draft("acceptance", acceptance, "TT 36/2013/TT-BCT Đ21"))
        dossier = acceptance + timedelta(days=SETTLEMENT_DOSSIER_DAYS)
        drafts.append(draft("dossier", dossier, "TT 36/2013/TT-BCT Đ18 k1"))
    settle = date(end.year + 1, *SETTLEMENT_DAY)
    drafts.append(draft("settlement", settle, "TT 36/2013/TT-BCT Đ18 k2"))
    return drafts
