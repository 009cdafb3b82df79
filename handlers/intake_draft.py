"""From answers to the draft đề án and the officers' notice: values, file name, submission."""

from __future__ import annotations

import logging
import re
from typing import Any

from handlers.context import Context
from handlers.intake_view import budget_lines, limit_text, percent
from handlers.messages import Button, Document, Reply, Target
from handlers.ports import DraftRenderer
from knowledge.formatting import format_date, format_money, format_money_short, group_digits
from knowledge.forms.budget import check_budget
from knowledge.forms.engine import applies, display
from knowledge.forms.roles import Role
from knowledge.forms.schema import Form
from knowledge.parsing import mask_phone
from knowledge.parsing.fold import fold
from knowledge.search.normalise import has_diacritics
from knowledge.templates.de_an import DraftDocument, compose
from knowledge.topics import STATUS_KEYS

log = logging.getLogger(__name__)
_MACHINERY = ("may_moc_thiet_bi", "day_chuyen", "mo_hinh_trinh_dien")
_LETTERS = re.compile(r"[^\W\d_]{2,}")


def kept_answers(form: Form, answers: dict[str, Any]) -> dict[str, Any]:
    """Only the answers to steps that apply (a changed choice can orphan earlier ones)."""
    return {q.id: answers[q.id] for q in form.steps if q.id in answers and applies(q, answers)}


def file_stem(ctx: Context, prefix: str, establishment: str, ref: str) -> str:
    """ASCII file name: prefix, establishment, local date, then the submission and version."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", fold(establishment)).strip("-")[:60] or "co-so"
    date = ctx.local_now.strftime("%d-%m-%Y")
    return f"{prefix}_{slug}_{date}_{ref}"


def baseline_scale(ctx: Context, form: Form, answers: dict[str, Any]) -> str | None:
    """The establishment's current figures (the optional baseline steps) in one phrase."""
    parts = []
    for step, key in (("workers", "workers"), ("wage", "wage"), ("revenue", "revenue")):
        question = form.step(step)
        if question is not None and answers.get(step) is not None:
            value = display(question, answers[step])
            parts.append(ctx.text(f"followup.scale.{key}", value=value))
    quantity, unit = answers.get("output_quantity"), answers.get("output_unit")
    if isinstance(quantity, int):
        amount = f"{group_digits(quantity)} {unit or ''}".strip()
        parts.append(ctx.text("followup.scale.output", value=amount))
    markets = form.step("markets")
    if markets is not None and isinstance(answers.get("markets"), str):
        value = markets.label_of(answers["markets"]).lower()
        parts.append(ctx.text("followup.scale.markets", value=value))
    return "; ".join(parts) or None


def eligibility_facts(ctx: Context) -> dict[str, str | None]:
    """What the owner told the eligibility check and the questionnaire does not ask again:
    workforce and turnover (or capital), and whether the site is in a difficult area."""
    elig = ctx.state.data.get("elig", {})
    answers = elig.get("answers", {}) if isinstance(elig, dict) else {}
    rules = ctx.kb.eligibility
    parts: list[str] = []
    for key in ("employees", "revenue_billion", "capital_billion"):
        value = answers.get(key)
        if not isinstance(value, int | float) or isinstance(value, bool) or rules is None:
            continue
        ranges = {option.value: option.label for option in rules.ranges.get(key, ())}
        if value in ranges:
            shown = ranges[value]
        elif key == "employees":
            shown = ctx.text("elig.people", count=f"{int(value)}")
        else:
            shown = format_money_short(round(value * 1_000_000_000))
        parts.append(f"{ctx.text(f'elig.key.{key}')}: {shown}")
    difficult = answers.get("difficult_area")
    return {
        "workforce": "; ".join(parts) or None,
        "difficult_area": None
        if not isinstance(difficult, bool)
        else ctx.text("intake.doc_difficult_yes" if difficult else "intake.doc_difficult_no"),
    }


def draft_values(ctx: Context, form: Form, answers: dict[str, Any]) -> dict[str, str | None]:
    values: dict[str, str | None] = dict(eligibility_facts(ctx))
    for question in form.steps:
        value = answers.get(question.id)
        values[question.id] = display(question, value) if value is not None else None

    def shown(role: Role) -> str:
        question = form.by_role(role)
        return (values.get(question.id) or "") if question is not None else ""

    establishment, support, machine = (
        shown(Role.ESTABLISHMENT),
        shown(Role.SUPPORT_TYPE),
        shown(Role.MACHINE),
    )
    if form.answer(answers, Role.SUPPORT_TYPE) in _MACHINERY and machine:
        name = ctx.text(
            "intake.project_name_machine", machine=machine, establishment=establishment
        )
    else:
        name = ctx.text(
            "intake.project_name_other", support=support.lower(), establishment=establishment
        )
    today = ctx.local_now.date()
    values.update(
        today=format_date(ctx.local_now),
        # The baseline figures typed at intake, else what the eligibility check was told.
        baseline_scale="; ".join(
            part for part in (baseline_scale(ctx, form, answers), values.get("workforce")) if part
        )
        or None,
        place=place_of(shown(Role.ADDRESS)) or None,
        # NĐ 30/2020 Phụ lục I: a 0 before days under 10 and months 1 and 2.
        day=f"{today.day:02d}",
        month=f"{today.month:02d}" if today.month < 3 else str(today.month),
        year=str(today.year),
        establishment_upper=establishment.upper() or None,
        project_name=name,
        support_label=support or None,
        commitment_funding=ctx.text("intake.commitment_funding")
        if form.answer(answers, Role.NO_OTHER_FUNDING) == "yes"
        else None,
        commitment_counterpart=ctx.text(
            "intake.commitment_counterpart_yes"
            if form.answer(answers, Role.COUNTERPART) == "yes"
            else "intake.commitment_counterpart_no"
        ),
    )
    check = check_budget(form, answers)
    if check is not None:
        values.update(
            counterpart=format_money(check.counterpart),
            requested_percent=percent(check.requested_percent),
            counterpart_percent=percent(100 - check.requested_percent),
            support_limit=limit_text(ctx, check),
            budget_notes=" ".join(budget_lines(ctx, check, document=True)[1:]) or None,
        )
    return values


_COMMUNE = ("xa ", "phuong ", "thi tran ", "dac khu ")
_PROVINCE = ("tinh ", "thanh pho ", "tp ")


def place_of(address: str) -> str:
    """The place of the date line (NĐ 30/2020 Phụ lục I): "Xã Tân Hòa, tỉnh Phú Thọ" out of
    "thôn 3, xã Tân Hòa, tỉnh Phú Thọ"; the address itself when it names no commune."""
    parts = [p.strip() for p in address.split(",") if p.strip()]
    commune = next((p for p in parts if fold(p).startswith(_COMMUNE)), None)
    province = next((p for p in parts if fold(p).startswith(_PROVINCE)), None)
    chosen = [p for p in (commune, province) if p] if commune else parts
    text = ", ".join(chosen)
    return text[:1].upper() + text[1:]


def unaccented_fields(form: Form, answers: dict[str, Any]) -> frozenset[str]:
    """Free-text answers written without any diacritics: the officer checks their spelling."""
    return frozenset(
        q.id
        for q in form.steps
        if q.kind == "text"
        and isinstance(answers.get(q.id), str)
        and len(_LETTERS.findall(answers[q.id])) >= 2
        and not has_diacritics(answers[q.id])
    )


def build_draft(
    ctx: Context, form: Form, answers: dict[str, Any], submission_id: int, version: int
) -> DraftDocument:
    template = ctx.kb.de_an
    assert template is not None
    values = draft_values(ctx, form, answers)
    labels = {q.id: q.label for q in form.steps}
    labels["baseline_scale"] = ctx.text("followup.scale.label")
    labels |= {key: ctx.text(f"intake.doc_label_{key}") for key in ("workforce", "difficult_area")}
    # The submission id keeps two same-day drafts of one establishment from overwriting.
    ref = f"hs{submission_id}_v{version}"
    establishment = str(form.answer(answers, Role.ESTABLISHMENT) or "")
    stem = file_stem(ctx, template.file_prefix, establishment, ref)
    statuses = {key: ctx.text(f"faq.status.{key}") for key in STATUS_KEYS}
    flagged = unaccented_fields(form, answers)
    # Values derived from a flagged answer are flagged with it.
    derived = {
        question.id: field
        for role, field in ((Role.ADDRESS, "place"), (Role.ESTABLISHMENT, "establishment_upper"))
        if (question := form.by_role(role)) is not None
    }
    flagged |= {derived[f] for f in flagged if f in derived}
    return compose(template, values, answers, labels, stem, statuses, frozenset(flagged))


def officer_summary(ctx: Context, form: Form, answers: dict[str, Any]) -> list[str]:
    lines = []
    for question in form.steps:
        if question.id in answers and answers[question.id] is not None:
            value = display(question, answers[question.id])
            lines.append(ctx.text("sub.officer_line", label=question.label, value=value))
    check = check_budget(form, answers)
    if check is not None:
        lines += budget_lines(ctx, check)
    return lines


def officer_buttons(ctx: Context, submission_id: int) -> tuple[Button, ...]:
    return (
        Button(ctx.text("sub.ack"), f"sub:ack:{submission_id}"),
        Button(ctx.text("sub.more"), f"sub:more:{submission_id}"),
        Button(ctx.text("sub.reject"), f"sub:rej:{submission_id}"),
    )


async def submit(
    ctx: Context, form: Form, bucket: dict[str, Any], renderer: DraftRenderer
) -> tuple[int, int, Document, bool]:
    """Save (or update) the submission, write the next draft version, tell the officers.

    The last value is True only when an officer chat is configured and the notice for it was
    queued now: only then may the owner be told the dossier was sent.
    """
    answers = kept_answers(form, bucket.get("answers", {}))
    establishment = str(form.answer(answers, Role.ESTABLISHMENT) or "")
    store = ctx.store.submissions
    submission_id = bucket.get("submission_id")
    record = await store.get(submission_id) if isinstance(submission_id, int) else None
    if record is not None and record.user_id == ctx.user.id and record.status != "rejected":
        await store.update_answers(record.id, establishment, answers)
        await store.set_status(record.id, "submitted", actor="owner")
        submission_id = record.id
    else:
        owner = str(Target(ctx.user.channel, ctx.message.chat_id))
        submission_id = await store.create(
            user_id=ctx.user.id, owner_target=owner, establishment=establishment, answers=answers
        )
    version = await store.next_draft_version(submission_id)
    draft = build_draft(ctx, form, answers, submission_id, version)
    path, name = renderer.render(draft, ctx.config.data_dir)
    await store.add_draft(submission_id, version, path, name)
    document = Document(path, name)
    log.info(
        "intake submission #%s v%s (phone %s)",
        submission_id,
        version,
        mask_phone(str(form.answer(answers, Role.PHONE) or "")),
    )
    sent = False
    if ctx.config.officer_chat is not None:
        text = "\n".join(
            [
                ctx.text(
                    "sub.officer_new",
                    id=submission_id,
                    version=version,
                    establishment=establishment,
                ),
                *officer_summary(ctx, form, answers),
            ]
        )
        sent = await ctx.store.outbox.enqueue(
            key=f"sub:{submission_id}:v{version}:officer",
            target=ctx.config.officer_chat,
            reply=Reply(text, officer_buttons(ctx, submission_id), (document,)),
            due_at=ctx.now,
            kind="intake",
        )
    return submission_id, version, document, sent


async def forward_attachment(ctx: Context, bucket: dict[str, Any]) -> list[Reply] | None:
    """A photo, voice note or file sent during the intake goes to the officers' chat."""
    msg = ctx.message
    if msg.attachment is None:
        return None
    officer_chat = ctx.config.officer_chat
    if officer_chat is None:
        return [Reply(ctx.text("intake.attachment_no_officer"))]
    submission_id = bucket.get("submission_id")
    about = f"#{submission_id}" if submission_id else ctx.text("intake.attachment_about_draft")
    named = ctx.kb.intake_form.answer(bucket["answers"], Role.ESTABLISHMENT)
    who = named or ctx.user.display_name or "Cơ sở"
    ref = msg.message_id or ctx.now.isoformat()
    key = f"sub:{submission_id}:att:{ref}" if submission_id else f"intake:{ctx.user.id}:att:{ref}"
    notice = Reply(
        ctx.text("intake.attachment_notice", who=who, about=about),
        documents=(Document(msg.attachment, f"{msg.kind}-{ref}"),),
    )
    await ctx.store.outbox.enqueue(
        key=key[:200], target=officer_chat, reply=notice, due_at=ctx.now, kind="intake"
    )
    return [Reply(ctx.text("intake.attachment_forwarded"))]
