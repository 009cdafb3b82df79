"""Personal data in the intake (Law 91/2025/QH15): consent before asking, and erasure."""

from __future__ import annotations

from typing import Any

from handlers.capability import StaleButton
from handlers.context import Context
from handlers.intake_view import CAP
from handlers.menu import main_menu
from handlers.messages import Button, Reply
from handlers.ports import DraftRenderer
from knowledge.forms.schema import Form


async def has_consent(ctx: Context, form: Form, bucket: dict[str, Any]) -> bool:
    """Consent to the current wording version, remembered in the state after one lookup."""
    if bucket.get("consent") == form.consent.version:
        return True
    if await ctx.store.submissions.has_consent(ctx.user.id, form.consent.version):
        bucket["consent"] = form.consent.version
        return True
    return False


def consent_buttons(ctx: Context) -> tuple[Button, ...]:
    return (
        Button(ctx.text("intake.consent_yes"), f"{CAP}:consent_yes"),
        Button(ctx.text("intake.consent_no"), f"{CAP}:consent_no"),
    )


def ask_erase(ctx: Context) -> list[Reply]:
    ctx.state.bucket(CAP)["pending"] = "erase"
    buttons = (
        Button(ctx.text("intake.erase_yes"), f"{CAP}:erase_yes"),
        Button(ctx.text("intake.erase_no"), f"{CAP}:erase_no"),
    )
    return [Reply(ctx.text("intake.erase_confirm"), buttons)]


async def erase(ctx: Context, renderer: DraftRenderer, confirmed: bool) -> list[Reply]:
    """/xoadulieu confirmed: everything of the person (bot/db/erasure.py), DOCX files too,
    check-in answers; consent withdrawn; the reply says what is kept and why."""
    bucket = ctx.state.bucket(CAP)
    if bucket.pop("pending", None) != "erase":
        raise StaleButton
    if not confirmed:
        return [main_menu(ctx, ctx.text("intake.erase_kept"))]
    records = await ctx.store.submissions.for_user(ctx.user.id)
    # Check-in answers and baselines first: erase_user below deletes the submissions.
    await ctx.store.checkins.erase_user(ctx.user.id)
    paths = await ctx.store.submissions.erase_user(ctx.user.id)
    renderer.delete(paths)
    # Every flow's answers go: intake answers, eligibility answers, a reminder being typed.
    ctx.state.data.clear()
    ctx.state.leave()
    text = f"{ctx.text('intake.erased', count=len(records))}\n{ctx.text('intake.erased_kept')}"
    return [main_menu(ctx, text)]
