"""The "Kiểm tra điều kiện" dialogue: asks only what can still change the verdict, explains it.

State lives in ctx.state.bucket("elig"): `answers` (SPEC §4 keys, read by the intake to prefill
the đề án), `history` (what each step changed, for "Quay lại"), `pending` (answers read from free
text, waiting for confirmation) and `done`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from handlers.capability import Capability, CommandHandler, StaleButton
from handlers.context import Context
from handlers.corrections import edited_answer, note_source, typed_source
from handlers.eligibility_view import (
    ask_reply,
    display,
    result_details,
    result_reply,
    summary,
)
from handlers.menu import main_menu
from handlers.messages import Button, ConversationState, Reply
from handlers.reminders import remember_sector
from knowledge.eligibility import Answers, EligibilityRules, Verdict, evaluate
from knowledge.eligibility.answers import BOOLEAN_KEYS, CHOICE_VALUES, NUMBER_KEYS
from knowledge.eligibility.reading import ENTERPRISE, AnswerReader, number_in, yes_no
from knowledge.formatting import quote_typed
from knowledge.search.normalise import fold

NAME = "elig"
# No real establishment has more; anything larger is a typo or a forged payload.
_MAX_NUMBER = 1_000_000
# Folded words for a commune-level unit whose status is unsettled since 01/7/2025.
_UNSETTLED_SITE_WORDS = ("phuong", "dac khu")
_WORD = re.compile(r"\w+")


def eligibility_answers(state: ConversationState) -> dict[str, Any]:
    """The SPEC §4 answers given in the eligibility check so far (the intake prefills from
    them); the eligibility capability owns its part of the conversation state."""
    bucket = state.data.get(NAME, {})
    answers = bucket.get("answers", {}) if isinstance(bucket, dict) else {}
    return answers if isinstance(answers, dict) else {}


class EligibilityCapability(Capability):
    name = NAME

    def __init__(self, rules: EligibilityRules | None) -> None:
        self.rules = rules
        self.reader = AnswerReader(rules) if rules is not None else None

    def commands(self) -> Mapping[str, CommandHandler]:
        return {"dieukien": self._command}

    async def _command(self, ctx: Context, argument: str) -> list[Reply]:
        return await self.start(ctx)

    # --- entry points -------------------------------------------------------------------------
    async def start(self, ctx: Context) -> list[Reply]:
        if self.rules is None:
            return [main_menu(ctx, ctx.text("elig.unavailable"))]
        bucket = ctx.state.bucket(NAME)
        if bucket.get("answers") and bucket.get("done"):
            # Re-opened after a verdict: the last result first, not the questions again.
            return [Reply(ctx.text("elig.last_result")), *self._next(ctx)]
        if bucket.get("answers") and not bucket.get("done"):
            ctx.state.enter(NAME, "resume")
            text = ctx.text("elig.resume", summary=summary(ctx, self.rules, bucket["answers"]))
            buttons = (
                Button(ctx.text("elig.btn.resume"), "elig:resume"),
                Button(ctx.text("elig.btn.restart"), "elig:restart"),
            )
            return [Reply(text, buttons)]
        return self._restart(ctx)

    async def on_payload(self, ctx: Context, action: str) -> list[Reply]:
        replies = await self._on_payload(ctx, action)
        await remember_sector(ctx, ctx.state.bucket(NAME).get("answers", {}).get("sector"))
        return replies

    async def _on_payload(self, ctx: Context, action: str) -> list[Reply]:
        if self.rules is None:
            raise StaleButton
        head, _, rest = action.partition(":")
        bucket = ctx.state.bucket(NAME)
        if action == "start":
            return await self.start(ctx)
        if action == "restart":
            return self._confirm_restart(ctx)
        if action == "restart_yes":
            return self._restart(ctx)
        if action == "details":
            return [result_details(ctx, self.rules, self._evaluate(ctx))]
        if action == "resume":
            return self._next(ctx)
        if action == "back":
            return self._back(ctx)
        if action == "ok" and bucket.get("pending"):
            pending = bucket.pop("pending")
            for key in pending:
                note_source(bucket, key, None)  # confirmed by a button: no longer an edit's
            return self._apply(ctx, pending)
        if action == "retry":
            bucket.pop("pending", None)
            return self._next(ctx)
        if head == "a":
            key, _, raw = rest.partition(":")
            value = _payload_value(key, raw)
            if value is None:
                raise StaleButton
            bucket.pop("pending", None)
            note_source(bucket, key, None)
            return self._apply(ctx, {key: value})
        raise StaleButton

    async def on_text(self, ctx: Context, text: str) -> list[Reply]:
        replies = await self._on_text(ctx, text)
        answers = ctx.state.bucket(NAME).get("answers", {})
        await remember_sector(ctx, answers.get("sector"))
        # An old province ("xưởng ở Sóc Trăng cũ") is named with its new one; a site in a
        # phường or đặc khu gets the two-tier caveat (legal-update-2026 §2.3 item 4).
        notes = [ctx.kb.province_note(text)]
        if answers.get("site_area") is None and _unsettled_site(text):
            notes.append(ctx.text("elig.site_unsettled"))
        lead = "\n".join(n for n in notes if n)
        return [Reply(lead), *replies] if lead else replies

    async def _on_text(self, ctx: Context, text: str) -> list[Reply]:
        if self.rules is None or self.reader is None:
            ctx.state.leave()
            return [main_menu(ctx, ctx.text("elig.unavailable"))]
        bucket = ctx.state.bucket(NAME)
        step = ctx.state.step or ""
        if step == "resume" and fold(text).startswith(("lam lai", "kiem tra lai")):
            return self._confirm_restart(ctx)
        if step in ("confirm", "resume"):
            answer = yes_no(text)
            if answer is not None:
                if step == "resume":
                    return self._next(ctx) if answer else self._confirm_restart(ctx)
                pending = bucket.pop("pending", None) or {}
                for key in pending if answer else ():
                    note_source(bucket, key, None)
                return self._apply(ctx, pending) if answer else self._next(ctx)
        found = self.reader.read(text)
        direct = self._direct_answer(step, text, found)
        if direct is not None:
            bucket.pop("pending", None)
            note_source(bucket, step, typed_source(ctx.message))
            return self._apply(ctx, {step: direct})
        answers = bucket.setdefault("answers", {})
        found = {k: v for k, v in found.items() if answers.get(k) != v}
        if not found:
            key = "elig.nothing_new" if self.reader.read(text) else "elig.not_understood"
            return self._next(ctx, lead=ctx.text(key))
        bucket["pending"] = found
        ctx.state.enter(NAME, "confirm")
        text_out = ctx.text("elig.confirm", summary=summary(ctx, self.rules, found))
        buttons = (
            Button(ctx.text("elig.btn.ok"), "elig:ok"),
            Button(ctx.text("elig.btn.retry"), "elig:retry"),
            Button(ctx.text("elig.btn.back"), "elig:back"),
        )
        return [Reply(text_out, buttons)]

    async def on_edit(self, ctx: Context, text: str) -> list[Reply] | None:
        """An edited message: the latest typed answer is re-applied to its question (a
        finished check is evaluated again); an older one is declined; else new text (None)."""
        bucket = ctx.state.data.get(NAME)
        if self.rules is None or self.reader is None or not isinstance(bucket, dict):
            return None
        edit = edited_answer(bucket, ctx.message)
        if edit is None:
            return None
        key, in_flow = edit.step, ctx.state.flow == NAME
        name = ctx.text(f"elig.key.{key}")
        if not edit.last:
            lead = ctx.text("elig.edit_older", name=name)
            return self._next(ctx, lead=lead) if in_flow else [Reply(lead)]
        value = self._direct_answer(key, text, self.reader.read(text))
        answers = bucket.setdefault("answers", {})
        if value is None:
            lead = ctx.text(
                "elig.edit_not_read",
                name=name,
                typed=quote_typed(text),
                example=self._example(ctx, key),
                value=display(ctx, self.rules, key, answers[key]) if key in answers else "—",
            )
            return self._next(ctx, lead=lead) if in_flow else [Reply(lead)]
        bucket.pop("pending", None)
        said = ctx.text(
            "core.edit_applied", label=name, value=display(ctx, self.rules, key, value)
        )
        note_source(bucket, key, typed_source(ctx.message))
        replies = [Reply(said), *self._apply(ctx, {key: value})]
        await remember_sector(ctx, bucket.get("answers", {}).get("sector"))
        return replies

    def _example(self, ctx: Context, key: str) -> str:
        """One answer that reads for `key` (the error after a correction that does not)."""
        if key == "employees":
            return ctx.text("elig.edit_example.employees")
        if key in NUMBER_KEYS:
            return ctx.text("elig.edit_example.number")
        if key in BOOLEAN_KEYS:
            return ctx.text("elig.edit_example.boolean")
        assert self.rules is not None
        return self.rules.label(key, CHOICE_VALUES[key][0])

    async def on_cancel(self, ctx: Context) -> list[Reply] | None:
        ctx.state.bucket(NAME).pop("pending", None)
        ctx.state.leave()
        return [main_menu(ctx, ctx.text("elig.cancelled"))]

    # --- steps ----------------------------------------------------------------------------------
    def _direct_answer(self, step: str, text: str, found: dict[str, Any]) -> Any:
        """A short reply to the question on screen ("có", "150", "hợp tác xã"), or None."""
        if set(found) - {step}:
            return None  # the sentence says more: read it all and confirm
        if step in CHOICE_VALUES and self.reader is not None:
            return self.reader.match_option(text, step)
        if step in BOOLEAN_KEYS:
            return found.get(step, yes_no(text))
        if step in NUMBER_KEYS:
            value = number_in(text, money=step != "employees")
            return value if value is not None and value <= _MAX_NUMBER else None
        return None

    def _confirm_restart(self, ctx: Context) -> list[Reply]:
        """ "Làm lại từ đầu" erases answers: ask first (nothing to lose: start at once)."""
        bucket = ctx.state.bucket(NAME)
        if not bucket.get("answers"):
            return self._restart(ctx)
        buttons = (
            Button(ctx.text("elig.btn.restart_yes"), "elig:restart_yes"),
            Button(ctx.text("elig.btn.keep"), "elig:resume"),
        )
        return [Reply(ctx.text("elig.restart_confirm"), buttons)]

    def _restart(self, ctx: Context) -> list[Reply]:
        ctx.state.data[NAME] = {"answers": {}, "history": []}
        return self._next(ctx, lead=ctx.text("elig.intro"))

    def _apply(self, ctx: Context, updates: dict[str, Any]) -> list[Reply]:
        bucket = ctx.state.bucket(NAME)
        answers = bucket.setdefault("answers", {})
        updates = dict(updates)
        if updates.get("entity_type") == ENTERPRISE:
            # Size unknown yet: the dialogue verifies it with the SME test (verify_sme).
            updates["entity_type"] = "dnnvv"
        changed = {k: answers.get(k) for k, v in updates.items() if answers.get(k) != v}
        if changed:
            bucket.setdefault("history", []).append(changed)
        answers.update(updates)
        bucket["done"] = False
        return self._next(ctx)

    def _back(self, ctx: Context) -> list[Reply]:
        bucket = ctx.state.bucket(NAME)
        if bucket.pop("pending", None) is not None:
            return self._next(ctx)
        history = bucket.get("history") or []
        if not history:
            ctx.state.leave()
            return [main_menu(ctx, ctx.text("elig.back_at_start"))]
        answers = bucket.setdefault("answers", {})
        for key, previous in history.pop().items():
            if previous is None:
                answers.pop(key, None)
            else:
                answers[key] = previous
        bucket["done"] = False
        return self._next(ctx)

    def _evaluate(self, ctx: Context) -> Verdict:
        assert self.rules is not None
        answers = ctx.state.bucket(NAME).setdefault("answers", {})
        verdict = evaluate(self.rules, Answers.model_validate(answers), verify_sme=True)
        if verdict.enterprise and answers.get("entity_type") != verdict.enterprise:
            # The figures decide the size; keep the stored type in line for the intake prefill.
            answers["entity_type"] = verdict.enterprise
        return verdict

    def _next(self, ctx: Context, lead: str | None = None) -> list[Reply]:
        assert self.rules is not None
        verdict = self._evaluate(ctx)
        answers = ctx.state.bucket(NAME)["answers"]
        key = None
        if verdict.verdict == "need_more_info":
            key = verdict.missing[0]
        elif verdict.verdict == "eligible":
            key = next((k for k in verdict.optional if k not in answers), None)
        if key is not None:
            ctx.state.enter(NAME, key)
            reply = ask_reply(ctx, self.rules, key, answers)
        else:
            ctx.state.bucket(NAME)["done"] = True
            ctx.state.leave()
            ctx.emit(f"elig.verdict.{verdict.verdict}")
            reply = result_reply(ctx, self.rules, verdict)
        if lead:
            return [Reply(lead), reply]
        return [reply]


def _unsettled_site(text: str) -> bool:
    """The user names a phường or an đặc khu (only xã is settled since 01/7/2025)."""
    words = " " + " ".join(_WORD.findall(fold(text))) + " "
    return any(f" {w} " in words for w in _UNSETTLED_SITE_WORDS)


def _payload_value(key: str, raw: str) -> Any:
    """The answer a button carries, or None when the payload is not one we could have sent."""
    if key in CHOICE_VALUES:
        allowed = CHOICE_VALUES[key] + ((ENTERPRISE,) if key == "entity_type" else ())
        return raw if raw in allowed else None
    if key in BOOLEAN_KEYS:
        return {"true": True, "false": False}.get(raw)
    if key in NUMBER_KEYS:
        try:
            value = float(raw)
        except ValueError:
            return None
        if not math.isfinite(value) or not 0 <= value <= _MAX_NUMBER:
            return None
        return int(value) if value.is_integer() else value
    return None
