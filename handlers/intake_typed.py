"""Typed answers in the intake: parsing, an edited message correcting an answer, diacritics
offered back, and the new province added to an old one's address."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from handlers.capability import StaleButton
from handlers.context import Context
from handlers.corrections import edited_answer, typed_source
from handlers.intake_flow import CONSENT, accept, consent, show, skip, with_button
from handlers.intake_view import CAP, question_reply, summary_reply
from handlers.messages import Button, Reply
from handlers.personal_data import consent_buttons
from knowledge.formatting import quote_typed
from knowledge.forms.engine import display, means_unknown, parse_answer
from knowledge.forms.roles import Role
from knowledge.forms.schema import Form, Question
from knowledge.parsing import ParseError
from knowledge.parsing.fold import fold
from knowledge.parsing.yes_no import read_yes_no
from knowledge.search.normalise import has_diacritics

# After this many unreadable answers to one step, the owner is offered an officer.
_WRONG_LIMIT = 3
# Typed agreement with the answer offered back with diacritics.
_AGREE = frozenset({"dung", "dung roi", "ok", "u", "vang", "co", "dong y", "chuan"})


async def answer_text(ctx: Context, form: Form, bucket: dict[str, Any], text: str) -> list[Reply]:
    """Text typed at the current step (or at consent, or at the summary)."""
    step = bucket.get("step")
    if step == CONSENT:
        agreed = read_yes_no(fold(text))
        if agreed is not None:
            return await consent(ctx, form, bucket, agreed)
        return [Reply(ctx.text("intake.consent_again"), consent_buttons(ctx))]
    question = form.step(step or "")
    if question is None:
        return [summary_reply(ctx, form, bucket, ctx.text("intake.summary_hint"))]
    offer = bucket.pop("restore", None)
    if isinstance(offer, dict) and offer.get("step") == step and fold(text) in _AGREE:
        return await _take_offer(ctx, form, bucket, offer, offer["restored"])
    if question.optional and means_unknown(text):
        return await skip(ctx, form, bucket, question.id)
    try:
        value = parse_answer(question, text, today=ctx.local_now.date(), answers=bucket["answers"])
    except ParseError as exc:
        errors = bucket.setdefault("errors", {})
        errors[question.id] = errors.get(question.id, 0) + 1
        reply = question_reply(ctx, form, bucket, question, not_read(ctx, text, exc))
        if errors[question.id] >= _WRONG_LIMIT:
            reply = with_button(
                replace(reply, text=f"{reply.text}\n{ctx.text('intake.wrong_again')}"),
                Button(ctx.text("menu.contact"), "menu:contact"),
            )
        return [reply]
    value, lead = with_province(ctx, question, value)
    restore = restore_offer(ctx, bucket, question.id, value)
    if restore is not None:
        return [restore]
    return await accept(
        ctx, form, bucket, question.id, value, lead, source=typed_source(ctx.message)
    )


async def answer_edit(
    ctx: Context, form: Form, bucket: dict[str, Any], text: str
) -> list[Reply] | None:
    """An edited message: the latest typed answer is re-applied to its step (and said so); an
    older one is declined politely; anything else is new text (None)."""
    edit = edited_answer(bucket, ctx.message)
    question = form.step(edit.step) if edit is not None else None
    if edit is None or question is None:
        return None
    bucket.pop("pending", None)
    if not edit.last:
        return await show(ctx, form, bucket, ctx.text("intake.edit_older", label=question.label))
    old = bucket["answers"].get(question.id)
    try:
        value = parse_answer(question, text, today=ctx.local_now.date(), answers=bucket["answers"])
    except ParseError as exc:
        lead = not_read(ctx, text, exc)
        if old is not None:
            kept = ctx.text("intake.edit_kept", label=question.label, value=display(question, old))
            lead = f"{lead}\n{kept}"
        return await show(ctx, form, bucket, lead)
    value, note = with_province(ctx, question, value)
    # Back at the corrected step: the flow moves on from there (a later step that depended
    # on the old answer is asked again, see intake_flow.accept).
    bucket.pop("restore", None)
    bucket["step"] = question.id
    ctx.state.enter(CAP, question.id)
    restore = restore_offer(ctx, bucket, question.id, value)
    if restore is not None:
        return [restore]
    said = ctx.text("core.edit_applied", label=question.label, value=display(question, value))
    lead = "\n".join(part for part in (said, note) if part)
    return await accept(
        ctx, form, bucket, question.id, value, lead, source=typed_source(ctx.message)
    )


def restore_offer(ctx: Context, bucket: dict[str, Any], step: str, value: Any) -> Reply | None:
    """Free text typed without diacritics: offer it back with diacritics restored (from the
    knowledge base's vocabulary) before it goes into the đề án; kept as typed, the draft
    marks it for the officer. None when there is nothing to offer."""
    question = ctx.kb.intake_form.step(step) if ctx.kb.intake_form else None
    restorer = ctx.kb.restorer
    if question is None or question.kind != "text" or restorer is None:
        return None
    if not isinstance(value, str) or has_diacritics(value):
        return None
    restored = restorer.restore(value)
    if not restored.changed:
        return None
    bucket["restore"] = {
        "step": step,
        "typed": value,
        "restored": restored.text,
        "source": typed_source(ctx.message),
    }
    buttons = (
        Button(ctx.text("intake.restore_yes"), f"{CAP}:restore_yes"),
        Button(ctx.text("intake.restore_no"), f"{CAP}:restore_no"),
    )
    return Reply(ctx.text("intake.restore_offer", text=restored.text), buttons)


async def restore_answer(
    ctx: Context, form: Form, bucket: dict[str, Any], agreed: bool
) -> list[Reply]:
    """The owner's button on the offer: the restored text (agreed) or the text as typed.

    Raises StaleButton when no offer waits at the current step."""
    offer = bucket.pop("restore", None)
    if not isinstance(offer, dict) or offer.get("step") != bucket.get("step"):
        raise StaleButton
    value = offer["restored"] if agreed else offer["typed"]
    return await _take_offer(ctx, form, bucket, offer, value)


async def _take_offer(
    ctx: Context, form: Form, bucket: dict[str, Any], offer: dict[str, Any], value: Any
) -> list[Reply]:
    source = offer.get("source")
    return await accept(
        ctx,
        form,
        bucket,
        offer["step"],
        value,
        source=source if isinstance(source, str) else None,
    )


def with_province(ctx: Context, question: Question, value: Any) -> tuple[Any, str]:
    """The production-site address (role `address`, its text feeds the đề án) naming an
    old province gets the new one added, with a sentence telling the owner."""
    if question.role == Role.ADDRESS and isinstance(value, str):
        return site_with_new_province(ctx, value)
    return value, ""


def site_with_new_province(ctx: Context, address: str) -> tuple[str, str]:
    """An address naming an old province gets the new one added ("…, Bến Tre cũ (nay thuộc
    tỉnh Vĩnh Long)") so the đề án and the officers see the province since 01/7/2025; the
    second value is the sentence telling the owner (or "")."""
    places = ctx.kb.places
    if places is None:
        return address, ""
    mentions = places.renamed(address)
    if not mentions:
        return address, ""
    new = mentions[0].province
    if fold(new.short_name) not in fold(address) or mentions[0].said_old:
        suffix = ctx.text("intake.site_new_province", province=new.display)
        if suffix not in address:
            address = f"{address} {suffix}"
    return address, ctx.kb.province_note(address)


def not_read(ctx: Context, text: str, error: ParseError) -> str:
    """The error an owner sees: their input quoted as typed (diacritics intact), the reason
    and the parser's example that works."""
    typed = quote_typed(text)
    reason = error.message.removeprefix("Dạ, ")
    return ctx.text("intake.not_read", typed=typed, reason=reason[:1].upper() + reason[1:])
