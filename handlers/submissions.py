"""Submissions after the intake: status changes by officers, /hoso for owners, officer lists."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from handlers.capability import Capability, CommandHandler, StaleButton, officer_only
from handlers.context import Context
from handlers.deadlines import submission_milestones
from handlers.intake_draft import officer_buttons, officer_summary
from handlers.menu import main_menu, menu_button
from handlers.messages import Button, Document, Reply, Target
from handlers.ports import DraftRenderer, SubmissionRecord
from handlers.support import support_lines
from knowledge.formatting import format_date, format_money
from knowledge.forms.roles import Role
from knowledge.parsing.fold import fold
from knowledge.parsing.numbers import parse_number

CAP = "sub"
_FILTERS = {
    "moi": "submitted", "cho": "submitted", "submitted": "submitted",
    "tiepnhan": "acknowledged", "acknowledged": "acknowledged",
    "bosung": "needs_info", "needs_info": "needs_info",
    "khongphuhop": "rejected", "rejected": "rejected",
    "dahotro": "supported", "hotro": "supported", "supported": "supported",
}  # fmt: skip
# Which status each officer action may start from.
_FROM = {
    "ack": ("submitted",),
    "more": ("submitted", "acknowledged"),
    "rej": ("submitted", "acknowledged", "needs_info"),
}
_MIN_NOTE = 5


def status_label(ctx: Context, status: str) -> str:
    """The status as the owner reads it; "submitted" without an officer chat reads "saved"
    (no one received it)."""
    if status == "submitted" and ctx.config.officer_chat is None:
        status = "saved"
    key = f"sub.status.{status}"
    return ctx.text(key) if key in ctx.kb.ui else status


async def notify_owner(ctx: Context, record: SubmissionRecord, reply: Reply, what: str) -> None:
    ref = ctx.message.message_id or ctx.now.isoformat()
    await ctx.store.outbox.enqueue(
        key=f"sub:{record.id}:owner:{what}:{ref}"[:200],
        target=Target.parse(record.owner_target),
        reply=reply,
        due_at=ctx.now,
        kind="intake",
        user_id=record.user_id,
    )


async def _plan_milestones(ctx: Context, record: SubmissionRecord) -> None:
    """Remind the owner of the project's planned milestones (start, monthly reports, end,
    settlement) once an officer has taken the dossier; they follow the dates the owner gave."""
    form = ctx.kb.intake_form
    start = form.answer(record.answers, Role.START_DATE)
    end = form.answer(record.answers, Role.END_DATE)
    if not (isinstance(start, str) and isinstance(end, str)):
        return
    try:
        drafts = submission_milestones(
            ctx.kb.ui,
            f"HS-{record.id}",
            start=date.fromisoformat(start),
            end=date.fromisoformat(end),
            policy=ctx.kb.reminders,
        )
    except ValueError:
        return
    await ctx.store.reminders.add_submission_milestones(
        f"HS-{record.id}", record.user_id, drafts, ctx.now
    )


async def owned_submission(ctx: Context, raw_id: str) -> SubmissionRecord | None:
    """The submission `raw_id` (digits) when it belongs to the user writing, else None."""
    ident = parse_number(raw_id)
    if ident is None:
        return None
    record = await ctx.store.submissions.get(ident)
    return record if record is not None and record.user_id == ctx.user.id else None


def officer_actor(ctx: Context) -> str:
    """How an officer is named in status history and the audit log."""
    return f"officer:{ctx.user.channel}:{ctx.user.external_id}"


async def acknowledge(ctx: Context, record: SubmissionRecord) -> list[Reply]:
    """Officer action "Đã tiếp nhận" (chat button and web page): status, owner notice,
    milestone reminders. The caller checked that the record may move (`may_act`)."""
    await ctx.store.submissions.set_status(record.id, "acknowledged", actor=officer_actor(ctx))
    text = ctx.text("sub.owner_ack", id=record.id, establishment=record.establishment)
    await notify_owner(ctx, record, Reply(text, (menu_button(ctx),)), "acknowledged")
    await _plan_milestones(ctx, record)
    return [Reply(ctx.text("sub.officer_ack_done", id=record.id))]


def may_act(record: SubmissionRecord, action: str) -> bool:
    """Whether officer action `action` ("ack", "more", "rej") may start from the status."""
    return record.status in _FROM.get(action, ())


async def send_back(
    ctx: Context, record: SubmissionRecord, action: str, text: str
) -> list[Reply]:
    """Officer action "Cần bổ sung" (`more`) or "Không phù hợp" (`rej`) with a note that
    reaches the owner (chat and web page use this one implementation)."""
    if sum(ch.isalnum() for ch in text) < _MIN_NOTE:
        return [Reply(ctx.text("sub.note_too_short"))]
    if not may_act(record, action):
        status = status_label(ctx, record.status)
        return [Reply(ctx.text("sub.officer_bad_state", id=record.id, status=status))]
    status = "needs_info" if action == "more" else "rejected"
    await ctx.store.submissions.set_status(record.id, status, actor=officer_actor(ctx), note=text)
    owner_key = "sub.owner_more" if action == "more" else "sub.owner_reject"
    owner_text = ctx.text(owner_key, id=record.id, establishment=record.establishment, note=text)
    buttons: tuple[Button, ...] = (menu_button(ctx),)
    if action == "more":
        buttons = (Button(ctx.text("sub.revise"), f"intake:revise:{record.id}"), *buttons)
    else:
        buttons = (Button(ctx.text("menu.contact"), "menu:contact"), *buttons)
    await notify_owner(ctx, record, Reply(owner_text, buttons), status)
    done = "sub.officer_more_done" if action == "more" else "sub.officer_reject_done"
    return [Reply(ctx.text(done, id=record.id))]


class SubmissionsCapability(Capability):
    name = CAP
    id_payloads = {"ack": "officer", "more": "officer", "rej": "officer", "open": "officer"}
    id_commands = {"xemhoso": "officer"}

    def __init__(self, renderer: DraftRenderer) -> None:
        self.renderer = renderer

    def commands(self) -> Mapping[str, CommandHandler]:
        return {
            "hoso": self._mine,
            "dshoso": officer_only(self._list),
            "xemhoso": officer_only(self._open),
            "xuathoso": officer_only(self._export),
        }

    async def on_payload(self, ctx: Context, action: str) -> list[Reply]:
        verb, _, rest = action.partition(":")
        if verb == "mine":
            return await self._mine(ctx, "")
        if verb not in ("ack", "more", "rej", "open"):
            raise StaleButton
        if not ctx.user.is_officer:
            return [Reply(ctx.text("core.officer_only_button"))]
        if verb == "open":
            return await self._open(ctx, rest)
        ident = parse_number(rest)
        record = await ctx.store.submissions.get(ident) if ident is not None else None
        if record is None:
            return [Reply(ctx.text("sub.not_found", id=rest[:12]))]
        if record.status not in _FROM[verb]:
            status = status_label(ctx, record.status)
            return [Reply(ctx.text("sub.officer_bad_state", id=record.id, status=status))]
        if verb == "ack":
            return await self._ack(ctx, record)
        ctx.state.enter(CAP, verb)
        ctx.state.bucket(CAP).update(id=record.id)
        key = "sub.officer_more_prompt" if verb == "more" else "sub.officer_reject_prompt"
        return [Reply(ctx.text(key, id=record.id))]

    async def _ack(self, ctx: Context, record: SubmissionRecord) -> list[Reply]:
        return await acknowledge(ctx, record)

    async def on_text(self, ctx: Context, text: str) -> list[Reply]:
        action, bucket = ctx.state.step, ctx.state.bucket(CAP)
        ident = parse_number(str(bucket.get("id", "")))
        record = await ctx.store.submissions.get(ident) if ident is not None else None
        if action not in ("more", "rej") or record is None or not ctx.user.is_officer:
            ctx.state.leave()
            return [main_menu(ctx, ctx.text("core.menu"))]
        if sum(ch.isalnum() for ch in text) < _MIN_NOTE:
            return [Reply(ctx.text("sub.note_too_short"))]
        ctx.state.leave()
        ctx.state.data.pop(CAP, None)
        return await send_back(ctx, record, action, text)

    async def on_cancel(self, ctx: Context) -> list[Reply] | None:
        ctx.state.leave()
        ctx.state.data.pop(CAP, None)
        return [Reply(ctx.text("sub.officer_cancelled"))]

    async def _mine(self, ctx: Context, argument: str) -> list[Reply]:
        records = await ctx.store.submissions.for_user(ctx.user.id)
        if not records:
            return [main_menu(ctx, ctx.text("sub.owner_none"))]
        lines = [ctx.text("sub.owner_list_title")]
        buttons: list[Button] = []
        for record in records:
            lines.append(self._line(ctx, record, "sub.owner_list_line"))
            if record.officer_note and record.status in ("needs_info", "rejected"):
                lines.append(ctx.text("sub.owner_note_line", note=record.officer_note))
            if record.status == "needs_info":
                label = f"{ctx.text('sub.revise')} #{record.id}"
                buttons.append(Button(label, f"intake:revise:{record.id}"))
        return [Reply("\n".join(lines), (*buttons, menu_button(ctx)))]

    def _line(self, ctx: Context, record: SubmissionRecord, key: str) -> str:
        date = format_date(record.updated_at.astimezone(ctx.config.timezone))
        return ctx.text(
            key,
            id=record.id,
            establishment=record.establishment,
            status=status_label(ctx, record.status),
            date=date,
        )

    async def _list(self, ctx: Context, argument: str) -> list[Reply]:
        raw = fold(argument).replace(" ", "")
        status = _FILTERS.get(raw) if raw else None
        if raw and status is None:
            return [Reply(ctx.text("sub.officer_bad_filter", value=argument[:30]))]
        label = status_label(ctx, status) if status else ctx.text("sub.officer_list_all")
        records = await ctx.store.submissions.by_status(status)
        if not records:
            return [Reply(ctx.text("sub.officer_list_none", filter=label))]
        lines = [ctx.text("sub.officer_list_title", filter=label)]
        lines += [self._line(ctx, r, "sub.officer_list_line") for r in records]
        buttons = tuple(Button(ctx.text("sub.open", id=r.id), f"sub:open:{r.id}") for r in records)
        return [Reply("\n".join(lines), buttons[:20])]

    async def _open(self, ctx: Context, argument: str) -> list[Reply]:
        raw = argument.strip().lstrip("#")
        ident = parse_number(raw)
        record = await ctx.store.submissions.get(ident) if ident is not None else None
        if record is None:
            key = "sub.not_found" if raw else "sub.need_id"
            return [Reply(ctx.text(key, id=raw[:12]))]
        form = ctx.kb.intake_form
        lines = [
            ctx.text("sub.officer_new", id=record.id, version=record.draft_version,
                     establishment=record.establishment),
            self._line(ctx, record, "sub.officer_list_line"),
        ]  # fmt: skip
        if form is not None:
            lines += officer_summary(ctx, form, record.answers)
        if record.officer_note:
            lines.append(ctx.text("sub.owner_note_line", note=record.officer_note))
        if record.status == "supported":
            tz = ctx.config.timezone
            lines += await support_lines(ctx.kb.ui, ctx.store, record.id, tz, ctx.now)
        documents = (
            (Document(record.draft_path, record.draft_name),)
            if record.draft_path and record.draft_name
            else ()
        )
        return [Reply("\n".join(lines), officer_buttons(ctx, record.id), documents)]

    async def _export(self, ctx: Context, argument: str) -> list[Reply]:
        records = await ctx.store.submissions.by_status(None, limit=100_000)
        rows = [_CSV_HEADER] + [_csv_row(ctx, r) for r in records]
        stem = f"ho-so-khuyen-cong_{ctx.local_now.strftime('%d-%m-%Y_%H%M')}"
        path, name = self.renderer.write_csv(rows, ctx.config.data_dir, stem)
        reply = Reply(
            ctx.text("sub.officer_export", count=len(records)), (), (Document(path, name),)
        )
        return [reply]


_CSV_HEADER = [
    "id", "trang_thai", "co_so", "loai_hinh", "dien_thoai", "dia_diem", "noi_dung_ho_tro",
    "tong_kinh_phi", "de_nghi_ho_tro", "von_doi_ung", "ban_nhap", "cap_nhat", "ghi_chu_can_bo",
]  # fmt: skip


def _csv_row(ctx: Context, record: SubmissionRecord) -> list[str]:
    answers: dict[str, Any] = record.answers
    form = ctx.kb.intake_form
    total = form.answer(answers, Role.TOTAL_COST)
    requested = form.answer(answers, Role.SUPPORT_REQUESTED)
    counterpart = (
        total - requested if isinstance(total, int) and isinstance(requested, int) else None
    )

    def label(role: Role) -> str:
        question = form.by_role(role)
        value = form.answer(answers, role)
        return (
            question.label_of(value) if question and isinstance(value, str) else str(value or "")
        )

    return [
        str(record.id),
        status_label(ctx, record.status),
        record.establishment,
        label(Role.ENTITY_TYPE),
        str(form.answer(answers, Role.PHONE) or ""),
        str(form.answer(answers, Role.ADDRESS) or ""),
        label(Role.SUPPORT_TYPE),
        format_money(total) if isinstance(total, int) else "",
        format_money(requested) if isinstance(requested, int) else "",
        format_money(counterpart) if counterpart is not None else "",
        f"v{record.draft_version}" if record.draft_version else "",
        format_date(record.updated_at.astimezone(ctx.config.timezone)),
        record.officer_note or "",
    ]
