"""Marking a dossier "supported" (officers): record the money, plan the check-ins.

`mark_supported` is the one action; `/dahotro` (handlers/checkins.py) and the officers' web
page call it. The check-ins and their single reminder are outbox rows (kind "checkin"), so
quiet hours, the Zalo window and "sent once" come from the outbox (bot/outbox.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo

from handlers.checkin_store import NewSupport
from handlers.messages import Button, Reply, Target
from handlers.ports import Store, SubmissionRecord
from knowledge import KnowledgeBase
from knowledge.followup import Followup, PlannedCheckin, plan_checkins
from knowledge.formatting import format_date, format_money
from knowledge.parsing import ParseError, parse_date, parse_money
from knowledge.ui import UiTexts

# Statuses an officer may mark supported from (an officer has looked at the dossier).
SUPPORTABLE = ("acknowledged", "submitted")
PREFIX = "chk"


class SupportError(Exception):
    """A polite refusal: a UI text key of `knowledge/ui/followup.yaml` and its values."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key, self.values = key, values

    def text(self, ui: UiTexts) -> str:
        return ui.text(self.key, **self.values)


@dataclass(frozen=True, slots=True)
class SupportInput:
    """What the officer enters: money in đồng, the actual completion date."""

    submission_id: int
    state_support: int
    own_capital: int
    completed_on: date


@dataclass(frozen=True, slots=True)
class SupportResult:
    support_id: int
    record: SubmissionRecord
    planned: list[PlannedCheckin] = field(default_factory=list)
    too_late: list[PlannedCheckin] = field(default_factory=list)


def parse_support_command(argument: str, today: date) -> SupportInput:
    """`<mã hồ sơ> <số tiền hỗ trợ> <vốn đối ứng> <dd/mm/yyyy>`; SupportError otherwise.

    Each amount may take several words ("300 triệu"); the first split where both halves
    read as money wins, so "300tr 520tr" and "300 triệu 520 triệu" both work.
    """
    tokens = argument.split()
    if len(tokens) < 4:
        raise SupportError("followup.usage", offsets="3, 6, 12")
    raw_id = tokens[0].lstrip("#")
    if not raw_id.isdigit():
        raise SupportError("followup.bad_id", value=tokens[0][:20])
    try:
        completed = parse_date(tokens[-1], today=today)
    except ParseError as exc:
        raise SupportError(
            "followup.bad_date", value=tokens[-1][:20], reason=exc.message
        ) from None
    if completed > today:
        raise SupportError("followup.future_date", date=format_date(completed))
    middle = tokens[1:-1]
    for cut in range(1, len(middle)):
        try:
            state = parse_money(" ".join(middle[:cut]))
            own = parse_money(" ".join(middle[cut:]))
        except ParseError:
            continue
        return SupportInput(int(raw_id), state, own, completed)
    raise SupportError("followup.bad_money", value=" ".join(middle)[:60])


def _followup(kb: KnowledgeBase) -> Followup:
    if kb.followup is None:
        raise SupportError("core.not_yet")
    return kb.followup


def checkin_buttons(ui: UiTexts, checkin_id: int, support_id: int) -> tuple[Button, ...]:
    return (
        Button(ui.text("followup.start"), f"{PREFIX}:go:{checkin_id}"),
        Button(ui.text("followup.stop"), f"{PREFIX}:stop:{support_id}"),
    )


async def mark_supported(
    store: Store,
    kb: KnowledgeBase,
    tz: tzinfo,
    now: datetime,
    entry: SupportInput,
    actor: str,
) -> SupportResult:
    """Record the support of a dossier and queue its check-ins (with one reminder each).

    Raises SupportError (not found, wrong status, already recorded, no support type).
    Check-ins already past their expiry (an old completion date) are recorded, not sent.
    """
    followup = _followup(kb)
    record = await store.submissions.get(entry.submission_id)
    if record is None:
        raise SupportError("followup.not_found", id=entry.submission_id)
    existing = await store.checkins.support_for_submission(record.id)
    if existing is not None:
        raise SupportError(
            "followup.already", id=record.id, date=format_date(existing.completed_on)
        )
    if record.status not in SUPPORTABLE:
        status = kb.ui.text(f"sub.status.{record.status}")
        raise SupportError("followup.bad_state", id=record.id, status=status)
    support_type = record.answers.get("support_type")
    if not isinstance(support_type, str):
        raise SupportError("followup.no_support_type", id=record.id)
    baseline = {
        key: record.answers[key]
        for key in followup.schedule.baseline
        if record.answers.get(key) is not None
    }
    sector = record.answers.get("sector")
    support_id = await store.checkins.create_support(
        NewSupport(
            submission_id=record.id,
            user_id=record.user_id,
            owner_target=record.owner_target,
            province=kb.province,
            support_type=support_type,
            sector=sector if isinstance(sector, str) else None,
            establishment=record.establishment,
            state_support=entry.state_support,
            own_capital=entry.own_capital,
            completed_on=entry.completed_on,
            baseline=baseline,
            recorded_by=actor,
        )
    )
    note = kb.ui.text(
        "followup.status_note",
        state=format_money(entry.state_support),
        own=format_money(entry.own_capital),
        date=format_date(entry.completed_on),
    )
    await store.submissions.set_status(record.id, "supported", actor=actor, note=note)
    result = SupportResult(support_id, record)
    target = Target.parse(record.owner_target)
    for planned in plan_checkins(entry.completed_on, followup.schedule, tz):
        if planned.expires_at <= now:
            await store.checkins.add_checkin(
                support_id, planned.offset_months, planned.due_at, None, None
            )
            result.too_late.append(planned)
            continue
        await _queue_checkin(store, kb, followup, support_id, record, target, planned, entry)
        result.planned.append(planned)
    offsets = ", ".join(str(p.offset_months) for p in result.planned)
    if offsets:
        notice = kb.ui.text(
            "followup.owner_notice",
            establishment=record.establishment,
            date=format_date(entry.completed_on),
            offsets=offsets,
        )
        stop = Button(kb.ui.text("followup.stop"), f"{PREFIX}:stop:{support_id}")
        await store.outbox.enqueue(
            key=f"{PREFIX}:{support_id}:notice",
            target=target,
            reply=Reply(notice, (stop,)),
            due_at=now,
            kind="intake",
            user_id=record.user_id,
        )
    return result


async def support_lines(
    ui: UiTexts, store: Store, submission_id: int, tz: tzinfo, now: datetime
) -> list[str]:
    """For the officer's view of a supported dossier: the money and each check-in's state."""
    support = await store.checkins.support_for_submission(submission_id)
    if support is None:
        return []
    lines = [
        ui.text(
            "followup.view",
            state=format_money(support.state_support),
            own=format_money(support.own_capital),
            date=format_date(support.completed_on),
        )
    ]
    for checkin in await store.checkins.checkins_of(support.id):
        if checkin.completed_at is not None:
            key = "answered"
        elif checkin.answers:
            key = "started"
        elif checkin.outbox_key is None:
            key = "too_late"
        elif checkin.due_at > now:
            key = "planned"
        else:
            key = "waiting"
        lines.append(
            ui.text(
                f"followup.view_{key}",
                months=checkin.offset_months,
                date=format_date(checkin.due_at.astimezone(tz)),
            )
        )
    if support.refused_at is not None:
        lines.append(ui.text("followup.view_refused"))
    return lines


async def _queue_checkin(
    store: Store,
    kb: KnowledgeBase,
    followup: Followup,
    support_id: int,
    record: SubmissionRecord,
    target: Target,
    planned: PlannedCheckin,
    entry: SupportInput,
) -> None:
    months = planned.offset_months
    key = f"{PREFIX}:{support_id}:{months}"
    checkin_id = await store.checkins.add_checkin(
        support_id, months, planned.due_at, key, f"{key}:rem"
    )
    values = {
        "months": months,
        "establishment": record.establishment,
        "date": format_date(entry.completed_on),
        "count": len(followup.form.steps),
    }
    buttons = checkin_buttons(kb.ui, checkin_id, support_id)
    invite = f"{kb.ui.text('followup.invite', **values)}\n{followup.form.consent.text.strip()}"
    for row_key, text, due in (
        (key, invite, planned.due_at),
        (f"{key}:rem", kb.ui.text("followup.reminder", **values), planned.reminder_at),
    ):
        await store.outbox.enqueue(
            key=row_key,
            target=target,
            reply=Reply(text, buttons),
            due_at=due,
            kind="checkin",
            user_id=record.user_id,
            expires_at=planned.expires_at,
        )
