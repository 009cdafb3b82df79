"""The "Soạn đề án" capability: routes commands, buttons and text to the intake's parts.

The parts: walking the steps (`intake_flow`), typed answers and edits (`intake_typed`),
resuming, restarting and revising (`intake_resume`), what the owner sees (`intake_view`), the
draft and the hand-off (`intake_draft`), consent and erasure (`personal_data`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from handlers.capability import Capability, CommandHandler, StaleButton
from handlers.context import Context
from handlers.intake_draft import forward_attachment, submit
from handlers.intake_flow import (
    CONSENT,
    SUMMARY,
    accept,
    advance,
    consent,
    goto,
    show,
    skip,
)
from handlers.intake_resume import ask_restart, begin, from_eligibility, restart_answer, revise
from handlers.intake_typed import answer_edit, answer_text, restore_answer
from handlers.intake_view import (
    CAP,
    edit_fields_reply,
    edit_sections_reply,
    question_reply,
    summary_reply,
)
from handlers.menu import main_menu, menu_button
from handlers.messages import Button, Reply
from handlers.personal_data import ask_erase, erase
from handlers.ports import DraftRenderer
from knowledge.forms.engine import first_unanswered, previous_step
from knowledge.forms.schema import Form


class IntakeCapability(Capability):
    name = CAP
    id_payloads = {"revise": "submission"}

    def __init__(self, renderer: DraftRenderer) -> None:
        self.renderer = renderer

    def commands(self) -> Mapping[str, CommandHandler]:
        return {"xoadulieu": self._erase_command}

    async def start(self, ctx: Context) -> list[Reply]:
        return await begin(ctx)

    # Text -----------------------------------------------------------------------------------
    async def on_text(self, ctx: Context, text: str) -> list[Reply]:
        form = ctx.kb.intake_form
        bucket = ctx.state.bucket(CAP)
        if form is None or "answers" not in bucket or not bucket.get("step"):
            ctx.state.leave()
            return [main_menu(ctx, ctx.text("core.menu"))]
        bucket.pop("pending", None)
        return await answer_text(ctx, form, bucket, text)

    async def on_edit(self, ctx: Context, text: str) -> list[Reply] | None:
        """An edited message while the intake is under way (see intake_typed.answer_edit)."""
        form = ctx.kb.intake_form
        bucket = ctx.state.data.get(CAP)
        if form is None or ctx.state.flow != CAP or not isinstance(bucket, dict):
            return None
        if "answers" not in bucket or not bucket.get("step"):
            return None
        return await answer_edit(ctx, form, bucket, text)

    # Buttons --------------------------------------------------------------------------------
    async def on_payload(self, ctx: Context, action: str) -> list[Reply]:
        form = ctx.kb.intake_form
        if form is None:
            raise StaleButton
        verb, _, rest = action.partition(":")
        if verb == "start":
            return await self.start(ctx)
        if verb == "from_elig":
            return await from_eligibility(ctx, form)
        if verb.startswith("erase_"):
            return await self._erase(ctx, verb == "erase_yes")
        if verb == "revise":
            return await revise(ctx, form, rest)
        bucket = ctx.state.bucket(CAP)
        if "answers" not in bucket:
            raise StaleButton
        pending = bucket.pop("pending", None)
        if verb in ("cancel_yes", "cancel_no"):
            if pending != "cancel":
                raise StaleButton
            if verb == "cancel_yes":
                ctx.state.leave()
                return [main_menu(ctx, ctx.text("core.cancelled"))]
            return await show(ctx, form, bucket, ctx.text("intake.continue"))
        if verb in ("restart_yes", "restart_no"):
            return await restart_answer(ctx, form, bucket, verb == "restart_yes", pending)
        if not bucket.get("step"):
            raise StaleButton
        ctx.state.enter(CAP, bucket["step"])
        if verb in ("restore_yes", "restore_no"):
            return await restore_answer(ctx, form, bucket, verb == "restore_yes")
        return await self._step_action(ctx, form, bucket, verb, rest)

    async def _step_action(
        self, ctx: Context, form: Form, bucket: dict[str, Any], verb: str, rest: str
    ) -> list[Reply]:
        step = bucket.get("step")
        if verb in ("consent_yes", "consent_no") and step == CONSENT:
            return await consent(ctx, form, bucket, verb == "consent_yes")
        if verb == "restart":
            return ask_restart(ctx, bucket)
        if step == SUMMARY:
            return await self._summary_action(ctx, form, bucket, verb, rest)
        question = form.step(step or "")
        if question is None:
            raise StaleButton
        if verb == "ans":
            target, _, value = rest.partition(":")
            if target != question.id or value not in question.values():
                raise StaleButton
            return await accept(ctx, form, bucket, question.id, value)
        if verb == "keep" and bucket["answers"].get(question.id) is not None:
            return await advance(ctx, form, bucket, question.id)
        if verb == "skip":
            if not question.optional:
                return [
                    question_reply(ctx, form, bucket, question, ctx.text("intake.not_optional"))
                ]
            return await skip(ctx, form, bucket, question.id)
        if verb == "back":
            if bucket.get("mode") == "edit":
                return await goto(ctx, form, bucket, None)
            previous = previous_step(
                form, bucket["answers"], question.id, bucket.get("prefilled", [])
            )
            if previous is None:
                return [question_reply(ctx, form, bucket, question, ctx.text("intake.first_step"))]
            return await goto(ctx, form, bucket, previous)
        raise StaleButton

    async def _summary_action(
        self, ctx: Context, form: Form, bucket: dict[str, Any], verb: str, rest: str
    ) -> list[Reply]:
        if verb == "edit_menu":
            return [edit_sections_reply(ctx, form, bucket["answers"])]
        if verb == "edit_section" and rest.isdigit():
            if int(rest) >= len(form.sections()):
                raise StaleButton
            return [edit_fields_reply(ctx, form, bucket["answers"], int(rest))]
        if verb == "summary":
            return [summary_reply(ctx, form, bucket)]
        if verb == "edit" and form.step(rest) is not None:
            bucket["mode"] = "edit"
            return await goto(ctx, form, bucket, rest)
        if verb == "submit":
            return await self._submit(ctx, form, bucket)
        if verb == "back":
            last = previous_step(form, bucket["answers"], "", bucket.get("prefilled", []))
            return await goto(ctx, form, bucket, last)
        raise StaleButton

    async def _submit(self, ctx: Context, form: Form, bucket: dict[str, Any]) -> list[Reply]:
        missing = first_unanswered(form, bucket["answers"], bucket.get("skipped", []))
        if missing is not None:
            question = form.step(missing)
            assert question is not None
            bucket["mode"] = "edit"
            lead = ctx.text("intake.missing", label=question.label)
            return await goto(ctx, form, bucket, missing, lead)
        submission_id, version, document, sent = await submit(ctx, form, bucket, self.renderer)
        consent_version = bucket.get("consent")
        bucket.clear()
        bucket.update(consent=consent_version, last_submission=submission_id)
        ctx.state.leave()
        ctx.emit("intake.finished")
        if sent:
            text = ctx.text("intake.submitted", version=version, id=submission_id)
            buttons: tuple[Button, ...] = (
                Button(ctx.text("sub.mine"), "sub:mine"),
                menu_button(ctx),
            )
        else:
            text = ctx.text("intake.submitted_no_officer", version=version, id=submission_id)
            buttons = (
                Button(ctx.text("menu.contact"), "menu:contact"),
                Button(ctx.text("sub.mine"), "sub:mine"),
                menu_button(ctx),
            )
        return [Reply(text, buttons, (document,))]

    # Cancel, erase, attachments ---------------------------------------------------------------
    async def _erase_command(self, ctx: Context, argument: str) -> list[Reply]:
        return ask_erase(ctx)

    async def _erase(self, ctx: Context, confirmed: bool) -> list[Reply]:
        return await erase(ctx, self.renderer, confirmed)

    async def on_attachment(self, ctx: Context) -> list[Reply] | None:
        form = ctx.kb.intake_form
        bucket = ctx.state.bucket(CAP)
        if form is None or "answers" not in bucket:
            return None
        replies = await forward_attachment(ctx, bucket)
        return None if replies is None else replies + await show(ctx, form, bucket)

    async def on_cancel(self, ctx: Context) -> list[Reply] | None:
        bucket = ctx.state.bucket(CAP)
        if "answers" not in bucket:
            return None
        bucket["pending"] = "cancel"
        buttons = (
            Button(ctx.text("intake.cancel_yes"), f"{CAP}:cancel_yes"),
            Button(ctx.text("intake.cancel_no"), f"{CAP}:cancel_no"),
        )
        return [Reply(ctx.text("intake.cancel_confirm"), buttons)]
