"""The "Soạn đề án" capability: consent, the questionnaire, summary, draft and hand-off."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from handlers.capability import Capability, CommandHandler, StaleButton
from handlers.context import Context
from handlers.intake_draft import submit
from handlers.intake_view import CAP, budget_lines, question_reply, summary_reply
from handlers.menu import main_menu, menu_button
from handlers.messages import Button, Reply
from handlers.personal_data import ask_erase, consent_buttons, erase, has_consent
from handlers.ports import DraftRenderer
from handlers.submissions import forward_attachment, revise
from knowledge.forms.budget import check_budget
from knowledge.forms.engine import (
    first_unanswered,
    invalidated,
    next_step,
    parse_answer,
    previous_step,
)
from knowledge.forms.schema import Form
from knowledge.parsing import ParseError
from knowledge.parsing.fold import fold

SUMMARY, CONSENT = "summary", "consent"
_WRONG_LIMIT = 3


class IntakeCapability(Capability):
    name = CAP
    id_payloads = {"revise": "submission"}

    def __init__(self, renderer: DraftRenderer) -> None:
        self.renderer = renderer

    def commands(self) -> Mapping[str, CommandHandler]:
        return {"xoadulieu": self._erase_command}

    # Entry points ---------------------------------------------------------------------------
    async def start(self, ctx: Context) -> list[Reply]:
        form = ctx.kb.intake_form
        if form is None:
            return [main_menu(ctx, ctx.text("core.not_yet"))]
        bucket = ctx.state.bucket(CAP)
        if bucket.get("step"):
            ctx.state.enter(CAP, bucket["step"])
            lead = ctx.text("intake.resume")
            replies = await self._show(ctx, form, bucket, lead)
            restart = Button(ctx.text("intake.restart"), f"{CAP}:restart")
            return [*replies[:-1], _with(replies[-1], restart)]
        return await self._fresh(ctx, form, {})

    async def _fresh(
        self, ctx: Context, form: Form, prefill: dict[str, Any], first: str = ""
    ) -> list[Reply]:
        bucket = ctx.state.bucket(CAP)
        consent = bucket.get("consent")
        bucket.clear()
        if consent:
            bucket["consent"] = consent
        bucket.update(answers=dict(prefill), prefilled=list(prefill), skipped=[], errors={})
        ctx.emit("intake.started")
        lead = "\n".join(part for part in (first, ctx.text("intake.intro")) if part)
        if prefill:
            lead += "\n" + ctx.text("intake.intro_elig", count=len(prefill))
        step = next_step(form, bucket["answers"], None, bucket["prefilled"])
        return await self._goto(ctx, form, bucket, step, lead)

    def _prefill(self, ctx: Context, form: Form) -> dict[str, Any]:
        elig = ctx.state.data.get("elig", {})
        answers = elig.get("answers", {}) if isinstance(elig, dict) else {}
        prefill: dict[str, Any] = {}
        for question in form.steps:
            value = answers.get(question.prefill_from) if question.prefill_from else None
            if isinstance(value, str) and value in question.values():
                prefill[question.id] = value
        return prefill

    # Moving between steps -------------------------------------------------------------------
    async def _goto(
        self, ctx: Context, form: Form, bucket: dict[str, Any], step: str | None, lead: str = ""
    ) -> list[Reply]:
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

    async def _show(
        self, ctx: Context, form: Form, bucket: dict[str, Any], lead: str = ""
    ) -> list[Reply]:
        step = bucket.get("step")
        if step == CONSENT:
            return await self._goto(ctx, form, bucket, bucket.get("after_consent"), lead)
        if step == SUMMARY or form.step(step or "") is None:
            return await self._goto(ctx, form, bucket, None, lead)
        return await self._goto(ctx, form, bucket, step, lead)

    async def _advance(
        self, ctx: Context, form: Form, bucket: dict[str, Any], done: str, lead: str = ""
    ) -> list[Reply]:
        answers, skipped = bucket["answers"], bucket.setdefault("skipped", [])
        if bucket.get("mode") == "edit":
            step = first_unanswered(form, answers, skipped)
        else:
            step = next_step(form, answers, done, bucket.get("prefilled", []))
        requested = form.budget.requested if form.budget else None
        check = check_budget(form, answers) if done == requested else None
        if check is not None and (check.over_rate or check.over_cap):
            lead = "\n".join([*budget_lines(ctx, check), lead]).strip()
        return await self._goto(ctx, form, bucket, step, lead)

    async def _accept(
        self, ctx: Context, form: Form, bucket: dict[str, Any], step: str, value: Any
    ) -> list[Reply]:
        question = form.step(step)
        assert question is not None
        bucket.setdefault("errors", {}).pop(step, None)
        if question.kind == "confirm" and value != "yes":
            assert question.refusal is not None
            return [
                _with(
                    question_reply(ctx, form, bucket, question, question.refusal),
                    Button(ctx.text("menu.contact"), "menu:contact"),
                )
            ]
        bucket["answers"][step] = value
        if step in bucket.get("skipped", []):
            bucket["skipped"].remove(step)
        # A dependent answer that no longer fits is asked again rather than kept silently.
        for stale in invalidated(form, bucket["answers"], step, ctx.local_now.date()):
            bucket["answers"].pop(stale)
        return await self._advance(ctx, form, bucket, step)

    # Text and buttons -----------------------------------------------------------------------
    async def on_text(self, ctx: Context, text: str) -> list[Reply]:
        form = ctx.kb.intake_form
        bucket = ctx.state.bucket(CAP)
        if form is None or "answers" not in bucket or not bucket.get("step"):
            ctx.state.leave()
            return [main_menu(ctx, ctx.text("core.menu"))]
        bucket.pop("pending", None)
        step = bucket.get("step")
        if step == CONSENT:
            folded = fold(text)
            if folded in ("dong y", "co", "ok", "u", "vang"):
                return await self._consent(ctx, form, bucket, True)
            if folded in ("khong", "khong dong y", "ko"):
                return await self._consent(ctx, form, bucket, False)
            return [Reply(ctx.text("intake.consent_again"), consent_buttons(ctx))]
        question = form.step(step or "")
        if question is None:
            return [summary_reply(ctx, form, bucket, ctx.text("intake.summary_hint"))]
        try:
            value = parse_answer(
                question, text, today=ctx.local_now.date(), answers=bucket["answers"]
            )
        except ParseError as exc:
            errors = bucket.setdefault("errors", {})
            errors[step] = errors.get(step, 0) + 1
            reply = question_reply(ctx, form, bucket, question, exc.message)
            if errors[step] >= _WRONG_LIMIT:
                reply = _with(
                    Reply(
                        f"{reply.text}\n{ctx.text('intake.wrong_again')}",
                        reply.buttons,
                        request_contact=reply.request_contact,
                    ),
                    Button(ctx.text("menu.contact"), "menu:contact"),
                )
            return [reply]
        return await self._accept(ctx, form, bucket, question.id, value)

    async def on_payload(self, ctx: Context, action: str) -> list[Reply]:
        form = ctx.kb.intake_form
        if form is None:
            raise StaleButton
        verb, _, rest = action.partition(":")
        if verb == "start":
            return await self.start(ctx)
        if verb == "from_elig":
            return await self._from_elig(ctx, form)
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
            return await self._show(ctx, form, bucket, ctx.text("intake.continue"))
        if not bucket.get("step"):
            raise StaleButton
        ctx.state.enter(CAP, bucket["step"])
        return await self._step_action(ctx, form, bucket, verb, rest)

    async def _step_action(
        self, ctx: Context, form: Form, bucket: dict[str, Any], verb: str, rest: str
    ) -> list[Reply]:
        step = bucket.get("step")
        if verb in ("consent_yes", "consent_no") and step == CONSENT:
            return await self._consent(ctx, form, bucket, verb == "consent_yes")
        if verb == "restart":
            return await self._fresh(ctx, form, {}, ctx.text("intake.restarted"))
        if verb == "edit" and form.step(rest) is not None and step == SUMMARY:
            bucket["mode"] = "edit"
            return await self._goto(ctx, form, bucket, rest)
        if verb == "submit" and step == SUMMARY:
            return await self._submit(ctx, form, bucket)
        if verb == "back" and step == SUMMARY:
            last = previous_step(form, bucket["answers"], "", bucket.get("prefilled", []))
            return await self._goto(ctx, form, bucket, last)
        question = form.step(step or "")
        if question is None:
            raise StaleButton
        if verb == "ans":
            target, _, value = rest.partition(":")
            if target != question.id or value not in question.values():
                raise StaleButton
            return await self._accept(ctx, form, bucket, question.id, value)
        if verb == "keep" and bucket["answers"].get(question.id) is not None:
            return await self._advance(ctx, form, bucket, question.id)
        if verb == "skip":
            if not question.optional:
                return [
                    question_reply(ctx, form, bucket, question, ctx.text("intake.not_optional"))
                ]
            bucket["answers"].pop(question.id, None)
            if question.id not in bucket.setdefault("skipped", []):
                bucket["skipped"].append(question.id)
            return await self._advance(ctx, form, bucket, question.id)
        if verb == "back":
            if bucket.get("mode") == "edit":
                return await self._goto(ctx, form, bucket, None)
            previous = previous_step(
                form, bucket["answers"], question.id, bucket.get("prefilled", [])
            )
            if previous is None:
                return [question_reply(ctx, form, bucket, question, ctx.text("intake.first_step"))]
            return await self._goto(ctx, form, bucket, previous)
        raise StaleButton

    async def _consent(
        self, ctx: Context, form: Form, bucket: dict[str, Any], given: bool
    ) -> list[Reply]:
        if not given:
            ctx.state.leave()
            bucket.clear()
            return [main_menu(ctx, ctx.text("intake.consent_declined"))]
        await ctx.store.submissions.record_consent(ctx.user.id, form.consent.version)
        bucket["consent"] = form.consent.version
        target = bucket.pop("after_consent", None)
        return await self._goto(ctx, form, bucket, target, ctx.text("intake.consent_thanks"))

    async def _from_elig(self, ctx: Context, form: Form) -> list[Reply]:
        prefill = self._prefill(ctx, form)
        bucket = ctx.state.bucket(CAP)
        if not bucket.get("step"):
            return await self._fresh(ctx, form, prefill)
        for key, value in prefill.items():
            if key not in bucket["answers"]:
                bucket["answers"][key] = value
                bucket.setdefault("prefilled", []).append(key)
        return await self._show(ctx, form, bucket, ctx.text("intake.resume"))

    async def _submit(self, ctx: Context, form: Form, bucket: dict[str, Any]) -> list[Reply]:
        missing = first_unanswered(form, bucket["answers"], bucket.get("skipped", []))
        if missing is not None:
            question = form.step(missing)
            assert question is not None
            bucket["mode"] = "edit"
            lead = ctx.text("intake.missing", label=question.label)
            return await self._goto(ctx, form, bucket, missing, lead)
        submission_id, version, document = await submit(ctx, form, bucket, self.renderer)
        consent = bucket.get("consent")
        bucket.clear()
        bucket.update(consent=consent, last_submission=submission_id)
        ctx.state.leave()
        ctx.emit("intake.finished")
        key = "intake.submitted" if ctx.config.officer_chat else "intake.submitted_no_officer"
        buttons = (Button(ctx.text("sub.mine"), "sub:mine"), menu_button(ctx))
        return [Reply(ctx.text(key, version=version), buttons, (document,))]

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
        return None if replies is None else replies + await self._show(ctx, form, bucket)

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


def _with(reply: Reply, button: Button) -> Reply:
    return Reply(reply.text, (*reply.buttons, button), reply.documents, reply.request_contact)
