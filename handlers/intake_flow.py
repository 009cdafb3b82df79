"""Walking the intake questionnaire: the next step, consent, storing an answer, skipping.

Every function works on the intake's bucket of the conversation state (`ctx.state.bucket(CAP)`:
answers, prefilled, skipped, errors, step, mode, consent) and returns the replies to show.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from handlers.context import Context
from handlers.corrections import note_source
from handlers.eligibility import eligibility_answers
from handlers.intake_view import CAP, budget_lines, question_reply, summary_reply
from handlers.menu import main_menu
from handlers.messages import Button, Reply
from handlers.personal_data import consent_buttons, has_consent
from handlers.reminders import remember_sector
from knowledge.forms.budget import check_budget
from knowledge.forms.engine import first_unanswered, invalidated, next_step
from knowledge.forms.schema import Form

SUMMARY, CONSENT = "summary", "consent"


def with_button(reply: Reply, button: Button) -> Reply:
    """`reply` with one more button at the end."""
    return replace(reply, buttons=(*reply.buttons, button))


def prefill(ctx: Context, form: Form) -> dict[str, Any]:
    """The answers the eligibility check already learnt, by intake step id (a step's
    `prefill_from` names the eligibility answer; only values the step offers are taken)."""
    answers = eligibility_answers(ctx.state)
    found: dict[str, Any] = {}
    for question in form.steps:
        value = answers.get(question.prefill_from) if question.prefill_from else None
        if isinstance(value, str) and value in question.values():
            found[question.id] = value
    return found


async def fresh(
    ctx: Context, form: Form, prefilled: dict[str, Any], first: str = ""
) -> list[Reply]:
    """Start the questionnaire over with `prefilled` answers; a consent given before is kept."""
    bucket = ctx.state.bucket(CAP)
    consent = bucket.get("consent")
    bucket.clear()
    if consent:
        bucket["consent"] = consent
    bucket.update(answers=dict(prefilled), prefilled=list(prefilled), skipped=[], errors={})
    ctx.emit("intake.started")
    lead = "\n".join(part for part in (first, ctx.text("intake.intro")) if part)
    if prefilled:
        lead += "\n" + ctx.text("intake.intro_elig", count=len(prefilled))
    step = next_step(form, bucket["answers"], None, bucket["prefilled"])
    return await goto(ctx, form, bucket, step, lead)


async def goto(
    ctx: Context, form: Form, bucket: dict[str, Any], step: str | None, lead: str = ""
) -> list[Reply]:
    """Ask `step` (None: the summary); a personal step waits for consent first."""
    if step is None:
        bucket["step"], bucket["mode"] = SUMMARY, None
        ctx.state.enter(CAP, SUMMARY)
        return [summary_reply(ctx, form, bucket, lead)]
    question = form.step(step)
    assert question is not None
    if question.personal and not await has_consent(ctx, form, bucket):
        bucket["step"], bucket["after_consent"] = CONSENT, step
        ctx.state.enter(CAP, CONSENT)
        text = "\n\n".join(part for part in (lead, form.consent.text) if part)
        return [Reply(text, consent_buttons(ctx))]
    bucket["step"] = step
    ctx.state.enter(CAP, step)
    return [question_reply(ctx, form, bucket, question, lead)]


async def show(ctx: Context, form: Form, bucket: dict[str, Any], lead: str = "") -> list[Reply]:
    """Ask again whatever the bucket stands at (a step, consent or the summary)."""
    step = bucket.get("step")
    if step == CONSENT:
        return await goto(ctx, form, bucket, bucket.get("after_consent"), lead)
    if step == SUMMARY or form.step(step or "") is None:
        return await goto(ctx, form, bucket, None, lead)
    return await goto(ctx, form, bucket, step, lead)


async def advance(
    ctx: Context, form: Form, bucket: dict[str, Any], done: str, lead: str = ""
) -> list[Reply]:
    """Move on from the answered step `done` (in edit mode: to the first unanswered step); the
    budget check speaks once the requested amount is known."""
    answers, skipped = bucket["answers"], bucket.setdefault("skipped", [])
    if bucket.get("mode") == "edit":
        step = first_unanswered(form, answers, skipped)
    else:
        step = next_step(form, answers, done, bucket.get("prefilled", []))
    requested = form.budget.requested if form.budget else None
    check = check_budget(form, answers) if done == requested else None
    if check is not None and (check.over_rate or check.over_cap):
        lead = "\n".join([*budget_lines(ctx, check), lead]).strip()
    return await goto(ctx, form, bucket, step, lead)


async def accept(
    ctx: Context,
    form: Form,
    bucket: dict[str, Any],
    step: str,
    value: Any,
    lead: str = "",
    *,
    source: str | None = None,
) -> list[Reply]:
    """Store `value` for `step` and move on; `source` is the platform id of the typed
    message it came from (None for a button), kept for corrections by edit."""
    question = form.step(step)
    assert question is not None
    bucket.setdefault("errors", {}).pop(step, None)
    if question.kind == "confirm" and value != "yes":
        assert question.refusal is not None
        return [
            with_button(
                question_reply(ctx, form, bucket, question, question.refusal),
                Button(ctx.text("menu.contact"), "menu:contact"),
            )
        ]
    bucket["answers"][step] = value
    note_source(bucket, step, source)
    if question.prefill_from == "sector":
        await remember_sector(ctx, value)
    if step in bucket.get("skipped", []):
        bucket["skipped"].remove(step)
    # A dependent answer that no longer fits is asked again rather than kept silently.
    for stale in invalidated(form, bucket["answers"], step, ctx.local_now.date()):
        bucket["answers"].pop(stale)
    return await advance(ctx, form, bucket, step, lead)


async def skip(ctx: Context, form: Form, bucket: dict[str, Any], step: str) -> list[Reply]:
    """Leave the optional `step` unanswered and move on."""
    bucket["answers"].pop(step, None)
    if step not in bucket.setdefault("skipped", []):
        bucket["skipped"].append(step)
    return await advance(ctx, form, bucket, step)


async def consent(ctx: Context, form: Form, bucket: dict[str, Any], given: bool) -> list[Reply]:
    """The owner's answer to the personal-data consent: declined ends the
    intake; given is recorded with the form's consent version and the waiting step asked."""
    if not given:
        ctx.state.leave()
        bucket.clear()
        return [main_menu(ctx, ctx.text("intake.consent_declined"))]
    await ctx.store.submissions.record_consent(ctx.user.id, form.consent.version)
    bucket["consent"] = form.consent.version
    target = bucket.pop("after_consent", None)
    return await goto(ctx, form, bucket, target, ctx.text("intake.consent_thanks"))
