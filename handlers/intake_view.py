"""What the owner sees during the intake: a question with its buttons, the budget, the summary."""

from __future__ import annotations

from typing import Any

from handlers.context import Context
from handlers.messages import Button, Reply
from knowledge.formatting import format_money
from knowledge.forms.budget import BudgetCheck, check_budget
from knowledge.forms.engine import applies, display, previous_step, shown
from knowledge.forms.schema import Form, Question

CAP = "intake"
# Steps answered with digits: a typed number is the answer, never a button's number.
TYPED_DIGITS = frozenset({"number", "money", "date", "phone", "tax_code"})


def percent(value: float) -> str:
    text = f"{value:.1f}".rstrip("0").rstrip(".").replace(".", ",")
    return f"{text}%"


def answer_buttons(ctx: Context, question: Question) -> list[Button]:
    prefix = f"{CAP}:ans:{question.id}"
    if question.kind == "choice":
        return [Button(o.label, f"{prefix}:{o.value}") for o in question.options]
    if question.kind == "yes_no":
        return [
            Button(ctx.text("intake.answer_yes"), f"{prefix}:yes"),
            Button(ctx.text("intake.answer_no"), f"{prefix}:no"),
        ]
    if question.kind == "confirm":
        return [
            Button(ctx.text("intake.commit_yes"), f"{prefix}:yes"),
            Button(ctx.text("intake.commit_no"), f"{prefix}:no"),
        ]
    return []


def question_reply(
    ctx: Context, form: Form, bucket: dict[str, Any], question: Question, lead: str = ""
) -> Reply:
    answers = bucket.get("answers", {})
    steps = shown(form, answers)
    n = next((i for i, q in enumerate(steps, 1) if q.id == question.id), 1)
    lines = [lead] if lead else []
    lines.append(f"{ctx.text('intake.progress', n=n, total=len(steps))}. {question.prompt}")
    if answers.get(question.id) is not None:
        value = display(question, answers[question.id])
        lines.append(ctx.text("intake.current_value", value=value))
    buttons = answer_buttons(ctx, question)
    if question.id in answers and answers[question.id] is not None:
        buttons.append(Button(ctx.text("intake.keep"), f"{CAP}:keep"))
    if question.optional:
        buttons.append(Button(ctx.text("intake.skip"), f"{CAP}:skip"))
    skip = bucket.get("prefilled", [])
    if bucket.get("mode") == "edit" or previous_step(form, answers, question.id, skip):
        buttons.append(Button(ctx.text("intake.back"), f"{CAP}:back"))
    return Reply(
        "\n".join(lines),
        tuple(buttons),
        request_contact=question.kind == "phone",
        expects="number" if question.kind in TYPED_DIGITS else "",
    )


def limit_text(ctx: Context, check: BudgetCheck) -> str:
    limit = check.limit
    if limit is None:
        return ctx.text("intake.no_budget")
    if limit.rate_percent is None or limit.cap is None:
        return ctx.text("intake.limit_unknown", title=limit.title, note=limit.note)
    return ctx.text(
        "intake.limit_rule",
        title=limit.title,
        rate=limit.rate_percent,
        cap=format_money(limit.cap),
        source=limit.source,
    )


def budget_lines(ctx: Context, check: BudgetCheck, *, document: bool = False) -> list[str]:
    """Counterpart, then a warning for each limit exceeded (the amount itself is never changed).

    `document`: the wording of the đề án (no chat voice, no buttons) instead of the chat's.
    """
    doc = "doc_" if document else ""
    lines = [
        ctx.text(
            "intake.counterpart",
            amount=format_money(check.counterpart),
            percent=percent(100 - check.requested_percent),
        )
    ]
    limit = check.limit
    note = limit.note if limit else ""
    requested = format_money(check.requested)
    if check.over_rate and limit is not None and check.by_rate is not None:
        lines.append(
            ctx.text(
                f"intake.{doc}warn_rate",
                requested=requested,
                percent=percent(check.requested_percent),
                rate=limit.rate_percent,
                by_rate=format_money(check.by_rate),
            )
        )
    if check.over_cap and limit is not None and limit.cap is not None:
        lines.append(
            ctx.text(f"intake.{doc}warn_cap", requested=requested, cap=format_money(limit.cap))
        )
    if check.over_rate or check.over_cap:
        lines.append(ctx.text(f"intake.{doc}warn_keep", note=note).strip())
    elif limit is not None and limit.rate_percent is not None:
        lines.append(ctx.text("intake.within_limits", source=limit.source, note=note).strip())
    elif limit is not None:
        lines.append(limit.note)
    return lines


# A phone shows about eight buttons without scrolling; the summary keeps within it and lists
# the fields to edit one section at a time ("Sửa" → sections → fields).
MAX_SUMMARY_BUTTONS = 8


def summary_reply(ctx: Context, form: Form, bucket: dict[str, Any], lead: str = "") -> Reply:
    answers = bucket.get("answers", {})
    skipped = set(bucket.get("skipped", []))
    lines = [lead] if lead else []
    lines.append(ctx.text("intake.summary_title"))
    for question in form.steps:
        if not applies(question, answers):
            continue
        if question.id in skipped or answers.get(question.id) is None:
            value = ctx.text("intake.skipped")
        else:
            value = display(question, answers[question.id])
        lines.append(f"• {question.label}: {value}")
    check = check_budget(form, answers)
    if check is not None:
        lines += ["", *budget_lines(ctx, check)]
    buttons = (
        Button(ctx.text("intake.submit"), f"{CAP}:submit"),
        Button(ctx.text("intake.edit_menu"), f"{CAP}:edit_menu"),
        Button(ctx.text("intake.back"), f"{CAP}:back"),
    )
    return Reply("\n".join(lines), buttons)


def edit_sections_reply(ctx: Context, form: Form, answers: dict[str, Any]) -> Reply:
    """ "Sửa": the sections that have a step to show, then back to the summary."""
    buttons = [
        Button(title, f"{CAP}:edit_section:{index}")
        for index, (title, steps) in enumerate(form.sections())
        if any(applies(q, answers) for q in steps)
    ]
    buttons.append(Button(ctx.text("intake.to_summary"), f"{CAP}:summary"))
    return Reply(ctx.text("intake.edit_pick_section"), tuple(buttons))


def edit_fields_reply(ctx: Context, form: Form, answers: dict[str, Any], index: int) -> Reply:
    """The steps of one section, each a "Sửa: …" button, then back to the sections."""
    title, steps = form.sections()[index]
    buttons = [
        Button(ctx.text("intake.edit", label=q.label), f"{CAP}:edit:{q.id}")
        for q in steps
        if applies(q, answers)
    ]
    buttons.append(Button(ctx.text("intake.back"), f"{CAP}:edit_menu"))
    return Reply(ctx.text("intake.edit_pick_field", section=title), tuple(buttons))
