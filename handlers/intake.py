"""The "Soạn đề án" capability: consent, the questionnaire, summary, draft and hand-off."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from handlers.capability import Capability, CommandHandler, StaleButton
from handlers.context import Context
from handlers.corrections import edited_answer, note_source, typed_source
from handlers.eligibility import eligibility_answers
from handlers.intake_draft import forward_attachment, submit
from handlers.intake_view import (
    CAP,
    budget_lines,
    edit_fields_reply,
    edit_sections_reply,
    question_reply,
    summary_reply,
)
from handlers.menu import main_menu, menu_button
from handlers.messages import Button, Reply
from handlers.personal_data import ask_erase, consent_buttons, erase, has_consent
from handlers.ports import DraftRenderer
from handlers.reminders import remember_sector
from handlers.submissions import owned_submission, status_label
from knowledge.formatting import quote_typed
from knowledge.forms.budget import check_budget
from knowledge.forms.engine import (
    display,
    first_unanswered,
    invalidated,
    means_unknown,
    next_step,
    parse_answer,
    previous_step,
    skipped_steps,
)
from knowledge.forms.roles import Role
from knowledge.forms.schema import Form, Question
from knowledge.parsing import ParseError
from knowledge.parsing.fold import fold
from knowledge.parsing.yes_no import read_yes_no
from knowledge.search.normalise import has_diacritics

SUMMARY, CONSENT = "summary", "consent"
_WRONG_LIMIT = 3
# Typed agreement with the answer offered back with diacritics.
_AGREE = frozenset({"dung", "dung roi", "ok", "u", "vang", "co", "dong y", "chuan"})


async def revise(ctx: Context, form: Form, raw_id: str) -> list[Reply]:
    """The owner reopens a submission the officer sent back, at the summary with Sửa buttons."""
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
        # What the eligibility check already learnt is not asked again.
        return await self._fresh(ctx, form, self._prefill(ctx, form))

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
        answers = eligibility_answers(ctx.state)
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
        self,
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
                _with(
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
        return await self._advance(ctx, form, bucket, step, lead)

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
            agreed = read_yes_no(fold(text))
            if agreed is not None:
                return await self._consent(ctx, form, bucket, agreed)
            return [Reply(ctx.text("intake.consent_again"), consent_buttons(ctx))]
        question = form.step(step or "")
        if question is None:
            return [summary_reply(ctx, form, bucket, ctx.text("intake.summary_hint"))]
        offer = bucket.pop("restore", None)
        if isinstance(offer, dict) and offer.get("step") == step and fold(text) in _AGREE:
            source = offer.get("source")
            return await self._accept(
                ctx,
                form,
                bucket,
                question.id,
                offer["restored"],
                source=source if isinstance(source, str) else None,
            )
        if question.optional and means_unknown(text):
            return await self._skip(ctx, form, bucket, question.id)
        try:
            value = parse_answer(
                question, text, today=ctx.local_now.date(), answers=bucket["answers"]
            )
        except ParseError as exc:
            errors = bucket.setdefault("errors", {})
            errors[step] = errors.get(step, 0) + 1
            reply = question_reply(ctx, form, bucket, question, not_read(ctx, text, exc))
            if errors[step] >= _WRONG_LIMIT:
                reply = _with(
                    replace(reply, text=f"{reply.text}\n{ctx.text('intake.wrong_again')}"),
                    Button(ctx.text("menu.contact"), "menu:contact"),
                )
            return [reply]
        value, lead = self._with_province(ctx, question, value)
        offer = self._restore_offer(ctx, bucket, question.id, value)
        if offer is not None:
            return [offer]
        return await self._accept(
            ctx, form, bucket, question.id, value, lead, source=typed_source(ctx.message)
        )

    @staticmethod
    def _with_province(ctx: Context, question: Question, value: Any) -> tuple[Any, str]:
        """The production-site address (role `address`, its text feeds the đề án) naming an
        old province gets the new one added, with a sentence telling the owner."""
        if question.role == Role.ADDRESS and isinstance(value, str):
            return site_with_new_province(ctx, value)
        return value, ""

    async def on_edit(self, ctx: Context, text: str) -> list[Reply] | None:
        """An edited message: the latest typed answer is re-applied to its step (and said
        so); an older one is declined politely; anything else is new text (None)."""
        form = ctx.kb.intake_form
        bucket = ctx.state.data.get(CAP)
        if form is None or ctx.state.flow != CAP or not isinstance(bucket, dict):
            return None
        if "answers" not in bucket or not bucket.get("step"):
            return None
        edit = edited_answer(bucket, ctx.message)
        question = form.step(edit.step) if edit is not None else None
        if edit is None or question is None:
            return None
        bucket.pop("pending", None)
        if not edit.last:
            return await self._show(
                ctx, form, bucket, ctx.text("intake.edit_older", label=question.label)
            )
        old = bucket["answers"].get(question.id)
        try:
            value = parse_answer(
                question, text, today=ctx.local_now.date(), answers=bucket["answers"]
            )
        except ParseError as exc:
            lead = not_read(ctx, text, exc)
            if old is not None:
                kept = ctx.text(
                    "intake.edit_kept", label=question.label, value=display(question, old)
                )
                lead = f"{lead}\n{kept}"
            return await self._show(ctx, form, bucket, lead)
        value, note = self._with_province(ctx, question, value)
        # Back at the corrected step: the flow moves on from there (a later step that depended
        # on the old answer is asked again, see _accept).
        bucket.pop("restore", None)
        bucket["step"] = question.id
        ctx.state.enter(CAP, question.id)
        offer = self._restore_offer(ctx, bucket, question.id, value)
        if offer is not None:
            return [offer]
        said = ctx.text("core.edit_applied", label=question.label, value=display(question, value))
        lead = "\n".join(part for part in (said, note) if part)
        return await self._accept(
            ctx, form, bucket, question.id, value, lead, source=typed_source(ctx.message)
        )

    def _restore_offer(
        self, ctx: Context, bucket: dict[str, Any], step: str, value: Any
    ) -> Reply | None:
        """Free text typed without diacritics: offer it back with diacritics restored (from
        the knowledge base's vocabulary) before it goes into the đề án; kept as typed, the
        draft marks it for the officer."""
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

    async def _restore_answer(
        self, ctx: Context, form: Form, bucket: dict[str, Any], accept: bool
    ) -> list[Reply]:
        offer = bucket.pop("restore", None)
        if not isinstance(offer, dict) or offer.get("step") != bucket.get("step"):
            raise StaleButton
        value = offer["restored"] if accept else offer["typed"]
        source = offer.get("source")
        return await self._accept(
            ctx,
            form,
            bucket,
            offer["step"],
            value,
            source=source if isinstance(source, str) else None,
        )

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
        if verb in ("restart_yes", "restart_no"):
            if pending != "restart" or not bucket.get("step"):
                raise StaleButton
            ctx.state.enter(CAP, bucket["step"])
            if verb == "restart_yes":
                prefill = self._prefill(ctx, form)
                return await self._fresh(ctx, form, prefill, ctx.text("intake.restarted"))
            return await self._show(ctx, form, bucket, ctx.text("intake.continue"))
        if not bucket.get("step"):
            raise StaleButton
        ctx.state.enter(CAP, bucket["step"])
        if verb in ("restore_yes", "restore_no"):
            return await self._restore_answer(ctx, form, bucket, verb == "restore_yes")
        return await self._step_action(ctx, form, bucket, verb, rest)

    async def _step_action(
        self, ctx: Context, form: Form, bucket: dict[str, Any], verb: str, rest: str
    ) -> list[Reply]:
        step = bucket.get("step")
        if verb in ("consent_yes", "consent_no") and step == CONSENT:
            return await self._consent(ctx, form, bucket, verb == "consent_yes")
        if verb == "restart":
            bucket["pending"] = "restart"
            buttons = (
                Button(ctx.text("intake.restart_yes"), f"{CAP}:restart_yes"),
                Button(ctx.text("intake.restart_no"), f"{CAP}:restart_no"),
            )
            return [Reply(ctx.text("intake.restart_confirm"), buttons)]
        if verb == "edit_menu" and step == SUMMARY:
            return [edit_sections_reply(ctx, form, bucket["answers"])]
        if verb == "edit_section" and step == SUMMARY and rest.isdigit():
            if int(rest) >= len(form.sections()):
                raise StaleButton
            return [edit_fields_reply(ctx, form, bucket["answers"], int(rest))]
        if verb == "summary" and step == SUMMARY:
            return [summary_reply(ctx, form, bucket)]
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
            return await self._skip(ctx, form, bucket, question.id)
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

    async def _skip(
        self, ctx: Context, form: Form, bucket: dict[str, Any], step: str
    ) -> list[Reply]:
        bucket["answers"].pop(step, None)
        if step not in bucket.setdefault("skipped", []):
            bucket["skipped"].append(step)
        return await self._advance(ctx, form, bucket, step)

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
        submission_id, version, document, sent = await submit(ctx, form, bucket, self.renderer)
        consent = bucket.get("consent")
        bucket.clear()
        bucket.update(consent=consent, last_submission=submission_id)
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


def _with(reply: Reply, button: Button) -> Reply:
    return replace(reply, buttons=(*reply.buttons, button))
