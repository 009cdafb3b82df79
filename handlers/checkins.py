"""Check-ins after support: `/dahotro` for officers, and the owner's short question flow.

The questions are `knowledge/followup/checkin.yaml`, walked with the form engine; answers are
saved after each step (resumable after /huy, a restart or days later from the same button),
every question but the first can be skipped, and the owner can refuse all check-ins.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from handlers.capability import Capability, CommandHandler, StaleButton, officer_only
from handlers.checkin_store import CheckinRecord, SupportRecord
from handlers.context import Context
from handlers.menu import main_menu
from handlers.messages import Button, Reply
from handlers.support import PREFIX, SupportError, mark_supported, parse_support_command
from knowledge.followup import Followup
from knowledge.formatting import format_date, format_money
from knowledge.forms.engine import display, means_unknown, next_step, parse_answer
from knowledge.forms.schema import Question
from knowledge.parsing import ParseError


def baseline_value(followup: Followup, bucket: dict[str, Any], question: Question) -> int | None:
    """The figure given at intake for a compared step (workers, wage, revenue), if any."""
    if question.id not in followup.compared:
        return None
    value = bucket.get("baseline", {}).get(question.id)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class CheckinsCapability(Capability):
    name = PREFIX
    id_payloads = {"go": "checkin", "stop": "support"}

    def commands(self) -> Mapping[str, CommandHandler]:
        return {"dahotro": officer_only(self._supported)}

    # Officers -------------------------------------------------------------------------------
    async def _supported(self, ctx: Context, argument: str) -> list[Reply]:
        try:
            entry = parse_support_command(argument, ctx.local_now.date())
            result = await mark_supported(
                ctx.store,
                ctx.kb,
                ctx.config.timezone,
                ctx.now,
                entry,
                actor=f"officer:{ctx.user.channel}:{ctx.user.external_id}",
            )
        except SupportError as exc:
            if exc.key == "followup.usage":
                offsets = self._offsets(ctx)
                return [Reply(ctx.text("followup.usage", offsets=offsets))]
            return [Reply(exc.text(ctx.kb.ui))]
        tz = ctx.config.timezone
        lines = [
            ctx.text(
                "followup.done",
                id=result.record.id,
                establishment=result.record.establishment,
                state=format_money(entry.state_support),
                own=format_money(entry.own_capital),
                date=format_date(entry.completed_on),
                dates=", ".join(format_date(p.due_at.astimezone(tz)) for p in result.planned)
                or "—",
            )
        ]
        if result.too_late:
            late = ", ".join(format_date(p.due_at.astimezone(tz)) for p in result.too_late)
            lines.append(ctx.text("followup.done_past", dates=late))
        return [Reply("\n".join(lines))]

    @staticmethod
    def _offsets(ctx: Context) -> str:
        followup = ctx.kb.followup
        months = followup.schedule.offsets_months if followup else ()
        return ", ".join(str(m) for m in months)

    # Owners ---------------------------------------------------------------------------------
    async def on_payload(self, ctx: Context, action: str) -> list[Reply]:
        followup = ctx.kb.followup
        if followup is None:
            raise StaleButton
        verb, _, rest = action.partition(":")
        if verb == "go":
            return await self._begin(ctx, followup, rest)
        if verb == "stop":
            return await self._stop(ctx, rest)
        bucket = ctx.state.bucket(PREFIX)
        question = followup.form.step(str(bucket.get("step", "")))
        if question is None or "checkin" not in bucket:
            raise StaleButton
        ctx.state.enter(PREFIX, question.id)
        if verb == "ans":
            step, _, value = rest.partition(":")
            if step != question.id or value not in question.values():
                raise StaleButton
            return await self._accept(ctx, followup, bucket, question, value)
        if verb == "same":
            before = baseline_value(followup, bucket, question)
            if before is None:
                raise StaleButton
            return await self._accept(ctx, followup, bucket, question, before)
        if verb == "skip":
            return await self._skip(ctx, followup, bucket, question)
        raise StaleButton

    async def on_text(self, ctx: Context, text: str) -> list[Reply]:
        followup = ctx.kb.followup
        bucket = ctx.state.bucket(PREFIX)
        question = followup.form.step(str(bucket.get("step", ""))) if followup else None
        if followup is None or question is None or "checkin" not in bucket:
            ctx.state.leave()
            return [main_menu(ctx, ctx.text("core.menu"))]
        if question.optional and means_unknown(text):
            return await self._skip(ctx, followup, bucket, question)
        try:
            value = parse_answer(
                question, text, today=ctx.local_now.date(), answers=bucket["answers"]
            )
        except ParseError as exc:
            return [self._ask(ctx, followup, bucket, question, exc.message)]
        return await self._accept(ctx, followup, bucket, question, value)

    async def on_cancel(self, ctx: Context) -> list[Reply] | None:
        ctx.state.leave()
        return [main_menu(ctx, ctx.text("followup.paused"))]

    async def _owned(
        self, ctx: Context, raw_id: str
    ) -> tuple[CheckinRecord, SupportRecord] | None:
        """The check-in behind a button, only if it belongs to this user."""
        checkin = await ctx.store.checkins.get_checkin(int(raw_id)) if raw_id.isdigit() else None
        if checkin is None:
            return None
        support = await ctx.store.checkins.get_support(checkin.support_id)
        if support is None or support.user_id != ctx.user.id:
            return None
        return checkin, support

    async def _begin(self, ctx: Context, followup: Followup, raw_id: str) -> list[Reply]:
        owned = await self._owned(ctx, raw_id)
        if owned is None:
            raise StaleButton
        checkin, support = owned
        if support.refused_at is not None:
            return [main_menu(ctx, ctx.text("followup.refused_before"))]
        if checkin.completed_at is not None:
            return [main_menu(ctx, ctx.text("followup.already_done"))]
        bucket = ctx.state.bucket(PREFIX)
        resumed = bucket.get("checkin") == checkin.id
        skipped = list(bucket.get("skipped", [])) if resumed else []
        bucket.clear()
        bucket.update(
            checkin=checkin.id, support=support.id, answers=dict(checkin.answers),
            skipped=skipped, baseline=support.baseline,
        )  # fmt: skip
        lead = ctx.text("followup.resume") if checkin.answers else ""
        passed = set(checkin.answers) | set(skipped)
        step = next_step(followup.form, checkin.answers, None, passed)
        return await self._goto(ctx, followup, bucket, step, lead)

    async def _stop(self, ctx: Context, raw_id: str) -> list[Reply]:
        support = await ctx.store.checkins.get_support(int(raw_id)) if raw_id.isdigit() else None
        if support is None or support.user_id != ctx.user.id:
            raise StaleButton
        await ctx.store.checkins.refuse(support.id)
        bucket = ctx.state.bucket(PREFIX)
        if bucket.get("support") == support.id:
            ctx.state.data.pop(PREFIX, None)
            if ctx.state.flow == PREFIX:
                ctx.state.leave()
        ctx.emit("checkin.refused")
        return [main_menu(ctx, ctx.text("followup.stopped"))]

    async def _accept(
        self,
        ctx: Context,
        followup: Followup,
        bucket: dict[str, Any],
        question: Question,
        value: Any,
    ) -> list[Reply]:
        bucket["answers"][question.id] = value
        if question.id in bucket["skipped"]:
            bucket["skipped"].remove(question.id)
        return await self._next(ctx, followup, bucket, question.id)

    async def _skip(
        self, ctx: Context, followup: Followup, bucket: dict[str, Any], question: Question
    ) -> list[Reply]:
        if not question.optional:
            return [self._ask(ctx, followup, bucket, question, ctx.text("followup.not_optional"))]
        bucket["answers"].pop(question.id, None)
        if question.id not in bucket["skipped"]:
            bucket["skipped"].append(question.id)
        return await self._next(ctx, followup, bucket, question.id)

    async def _next(
        self, ctx: Context, followup: Followup, bucket: dict[str, Any], done: str
    ) -> list[Reply]:
        step = next_step(followup.form, bucket["answers"], done, ())
        await ctx.store.checkins.save_answers(
            int(bucket["checkin"]), dict(bucket["answers"]), completed=step is None
        )
        return await self._goto(ctx, followup, bucket, step)

    async def _goto(
        self,
        ctx: Context,
        followup: Followup,
        bucket: dict[str, Any],
        step: str | None,
        lead: str = "",
    ) -> list[Reply]:
        if step is None:
            await ctx.store.checkins.save_answers(
                int(bucket["checkin"]), dict(bucket["answers"]), completed=True
            )
            ctx.state.data.pop(PREFIX, None)
            ctx.state.leave()
            ctx.emit("checkin.completed")
            return [main_menu(ctx, ctx.text("followup.thanks"))]
        question = followup.form.step(step)
        assert question is not None
        bucket["step"] = step
        ctx.state.enter(PREFIX, step)
        return [self._ask(ctx, followup, bucket, question, lead)]

    @staticmethod
    def _ask(
        ctx: Context,
        followup: Followup,
        bucket: dict[str, Any],
        question: Question,
        lead: str = "",
    ) -> Reply:
        answers = bucket["answers"]
        # Steps whose condition is not decided yet count too: "Câu 1/7", not "Câu 1/2".
        steps = [
            q
            for q in followup.form.steps
            if all(answers.get(f, allowed[0]) in allowed for f, allowed in q.when.items())
        ]
        n = next((i for i, q in enumerate(steps, 1) if q.id == question.id), 1)
        lines = [lead] if lead else []
        lines.append(f"{ctx.text('followup.progress', n=n, total=len(steps))}. {question.prompt}")
        buttons: list[Button] = []
        if question.kind in ("choice", "yes_no"):
            labels = {"yes": ctx.text("intake.answer_yes"), "no": ctx.text("intake.answer_no")}
            buttons += [
                Button(labels.get(v, question.label_of(v)), f"{PREFIX}:ans:{question.id}:{v}")
                for v in question.values()
            ]
        before = baseline_value(followup, bucket, question)
        if before is not None:
            shown_value = display(question, before)
            lines.append(ctx.text("followup.before", value=shown_value))
            buttons.append(Button(ctx.text("followup.same", value=shown_value), f"{PREFIX}:same"))
        if question.optional:
            buttons.append(Button(ctx.text("followup.skip"), f"{PREFIX}:skip"))
        return Reply("\n".join(lines), tuple(buttons))
