"""Coming back to an intake: resuming where it stopped, starting over, taking in what the
eligibility check learnt, and reopening a submission the officer sent back."""

from __future__ import annotations

from typing import Any

from handlers.capability import StaleButton
from handlers.context import Context
from handlers.intake_flow import SUMMARY, fresh, prefill, show, with_button
from handlers.intake_view import CAP, summary_reply
from handlers.menu import main_menu
from handlers.messages import Button, Reply
from handlers.submissions import owned_submission, status_label
from knowledge.forms.engine import skipped_steps
from knowledge.forms.schema import Form


async def begin(ctx: Context) -> list[Reply]:
    """The "Soạn đề án" entry: resume an intake under way (with a button to start over),
    else start one with what the eligibility check already learnt (it is not asked again)."""
    form = ctx.kb.intake_form
    if form is None:
        return [main_menu(ctx, ctx.text("core.not_yet"))]
    bucket = ctx.state.bucket(CAP)
    if bucket.get("step"):
        ctx.state.enter(CAP, bucket["step"])
        replies = await show(ctx, form, bucket, ctx.text("intake.resume"))
        restart = Button(ctx.text("intake.restart"), f"{CAP}:restart")
        return [*replies[:-1], with_button(replies[-1], restart)]
    return await fresh(ctx, form, prefill(ctx, form))


async def from_eligibility(ctx: Context, form: Form) -> list[Reply]:
    """The eligibility result's "Soạn đề án" button: its answers fill the steps not yet
    answered (an intake under way goes on where it stood)."""
    found = prefill(ctx, form)
    bucket = ctx.state.bucket(CAP)
    if not bucket.get("step"):
        return await fresh(ctx, form, found)
    for key, value in found.items():
        if key not in bucket["answers"]:
            bucket["answers"][key] = value
            bucket.setdefault("prefilled", []).append(key)
    return await show(ctx, form, bucket, ctx.text("intake.resume"))


def ask_restart(ctx: Context, bucket: dict[str, Any]) -> list[Reply]:
    """Ask before throwing the answers away."""
    bucket["pending"] = "restart"
    buttons = (
        Button(ctx.text("intake.restart_yes"), f"{CAP}:restart_yes"),
        Button(ctx.text("intake.restart_no"), f"{CAP}:restart_no"),
    )
    return [Reply(ctx.text("intake.restart_confirm"), buttons)]


async def restart_answer(
    ctx: Context, form: Form, bucket: dict[str, Any], confirmed: bool, pending: Any
) -> list[Reply]:
    """The answer to `ask_restart`; `pending` is what the bucket waited for.

    Raises StaleButton when no restart was asked or no intake is under way."""
    if pending != "restart" or not bucket.get("step"):
        raise StaleButton
    ctx.state.enter(CAP, bucket["step"])
    if confirmed:
        return await fresh(ctx, form, prefill(ctx, form), ctx.text("intake.restarted"))
    return await show(ctx, form, bucket, ctx.text("intake.continue"))


async def revise(ctx: Context, form: Form, raw_id: str) -> list[Reply]:
    """The owner reopens a submission the officer sent back, at the summary with Sửa buttons.

    Raises StaleButton when `raw_id` names no submission of this owner."""
    record = await owned_submission(ctx, raw_id)
    if record is None:
        raise StaleButton
    if record.status == "rejected":
        status = status_label(ctx, record.status)
        return [main_menu(ctx, ctx.text("intake.revise_closed", status=status))]
    bucket = ctx.state.bucket(CAP)
    consent = bucket.get("consent")
    bucket.clear()
    answers = dict(record.answers)
    bucket.update(
        consent=consent, answers=answers, skipped=skipped_steps(form, answers), prefilled=[],
        errors={},
        submission_id=record.id, step=SUMMARY,
    )  # fmt: skip
    ctx.state.enter(CAP, SUMMARY)
    return [summary_reply(ctx, form, bucket, ctx.text("intake.revise_intro", id=record.id))]
