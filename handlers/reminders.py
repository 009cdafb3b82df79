"""Nhắc hạn: owners subscribe, see upcoming deadlines, add personal ones, answer reminders."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from datetime import date, timedelta

from handlers import reminders_officer as officer
from handlers.capability import Capability, CommandHandler, StaleButton, officer_only
from handlers.context import Context
from handlers.deadlines import Audience, DeadlineDraft, deadline_end, reminder_reply
from handlers.menu import menu_button
from handlers.messages import Button, Reply, Target
from knowledge.formatting import format_date, format_datetime
from knowledge.parsing.dates import parse_date
from knowledge.parsing.errors import ParseError
from knowledge.parsing.numbers import parse_number
from knowledge.search.normalise import fold as fold_letters

NAME = "rem"
SNOOZE = timedelta(days=1)
MAX_TITLE = 200
# A date inside free text: "15/6", "15-6-2027", optionally after "ngày" / "vào ngày".
_DATE_IN_TEXT = re.compile(
    r"(?:\b(?:vào\s+)?ngày\s+)?(?<![\d/.-])(\d{1,2}\s*[/.-]\s*\d{1,2}(?:\s*[/.-]\s*\d{2,4})?)"
    r"(?![\d/.-])",
    re.IGNORECASE,
)
_LEAD = re.compile(
    r"^\s*(?:hãy\s+|nhờ\s+)?(?:nhắc|nhac)(?:\s+(?:tôi|toi|em|mình|minh|giúp|giup|anh|chị|chi))*"
    r"(?:\s+(?:là|rằng))?\s*",
    re.IGNORECASE,
)


async def remember_sector(ctx: Context, value: object) -> None:
    """Keep the owner's sector (a SPEC §4 code from the eligibility check or the intake) on
    the user, so deadlines and broadcasts for that sector (`nganh:`) reach them."""
    if isinstance(value, str) and value in officer.SECTORS:
        await ctx.store.reminders.set_sector(ctx.user.id, value, ctx.now)


def split_personal(text: str) -> tuple[str | None, str]:
    """("15/6", "nộp hồ sơ") from "nhắc tôi ngày 15/6 nộp hồ sơ"; (None, …) without a date."""
    match = _DATE_IN_TEXT.search(text)
    if match is None:
        return None, text.strip()
    rest = (text[: match.start()] + " " + text[match.end() :]).strip()
    rest = _LEAD.sub("", rest)
    rest = " ".join(rest.split()).strip(" ,.;:-–")
    return match.group(1), rest[:MAX_TITLE]


# Weekdays as typed: "thứ 2"…"thứ 7", "thứ hai"…"thứ bảy", "chủ nhật"/"cn" (folded text).
_WEEKDAY_WORDS = {"2": 0, "hai": 0, "3": 1, "ba": 1, "4": 2, "tu": 2, "5": 3, "nam": 3,
                  "6": 4, "sau": 4, "7": 5, "bay": 5}  # fmt: skip
_RELATIVE = re.compile(
    r"(?:\b(?:vao\s+)?(?:ngay\s+)?)?"
    r"(?:\bthu\s+(?P<wd>[2-7]|hai|ba|tu|nam|sau|bay)\b|\b(?P<cn>chu\s+nhat|cn)\b)"
    r"(?:\s+(?P<week>tuan\s+(?:sau|toi|nay)))?"
    r"|\b(?P<day>ngay\s+mai|ngay\s+kia|ngay\s+mot)\b"
)


def relative_day(text: str, today: date) -> tuple[date | None, str]:
    """A weekday or "ngày mai/kia/mốt" in `text` as a date after `today`, and the text
    without it: "thứ 6 tuần sau họp HTX" → (the Friday of next week, "họp HTX")."""
    folded = fold_letters(text).lower()
    match = _RELATIVE.search(folded)
    if match is None or len(folded) != len(text):
        return None, text
    if match["day"]:
        ahead = 1 if match["day"].endswith("mai") else 2
        day = today + timedelta(days=ahead)
    else:
        weekday = 6 if match["cn"] else _WEEKDAY_WORDS[match["wd"]]
        week = match["week"] or ""
        if week.endswith(("sau", "toi")):
            day = today - timedelta(days=today.weekday()) + timedelta(days=7 + weekday)
        else:
            day = today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)
    rest = text[: match.start()] + " " + text[match.end() :]
    return day, rest


def is_reminder_request(text: str) -> bool:
    """ "nhắc tôi/em … <a date>": a request for a personal reminder wherever it is typed."""
    lead = _LEAD.match(text)
    if lead is None or not lead.group(0).strip():
        return False
    today = date(2000, 1, 3)  # any Monday: only whether a date is there matters
    return split_personal(text)[0] is not None or relative_day(text, today)[0] is not None


class RemindersCapability(Capability):
    name = NAME
    id_payloads = {"done": "deadline", "snooze": "deadline"}
    id_commands = {"suahan": "officer", "xoahan": "officer", "ketquaphat": "officer"}

    async def on_free_text(self, ctx: Context, text: str) -> list[Reply] | None:
        """ "nhắc tôi ngày 15/6 nộp báo cáo" starts a personal reminder from anywhere (the
        menu, the FAQ, another question) except an officer typing a note for an owner."""
        if ctx.state.flow in (NAME, "sub") or not is_reminder_request(text):
            return None
        ctx.state.enter(NAME, "add_text")
        return await self._parse_personal(ctx, text)

    def commands(self) -> Mapping[str, CommandHandler]:
        return {
            "nhachan": self._command_start,
            "hanmoi": officer_only(officer.add_deadline),
            "danhsachhan": officer_only(officer.list_deadlines),
            "suahan": officer_only(officer.edit_deadline),
            "xoahan": officer_only(officer.delete_deadline),
            "phatthanh": officer_only(officer.broadcast),
            "ketquaphat": officer_only(officer.figures),
        }

    async def _command_start(self, ctx: Context, argument: str) -> list[Reply]:
        if argument.strip():
            ctx.state.enter(NAME, "add_text")
            return await self._parse_personal(ctx, argument)
        return await self.start(ctx)

    async def start(self, ctx: Context) -> list[Reply]:
        # Only typing a personal reminder keeps the user in this flow; other free text after
        # the menu must reach the FAQ, not this capability.
        self._leave(ctx)
        sub = await ctx.store.reminders.subscription(ctx.user.id)
        on = sub is not None and sub.subscribed
        status = ctx.text("rem.status_on" if on else "rem.status_off")
        toggle = (
            Button(ctx.text("rem.btn_unsubscribe"), "rem:unsub")
            if on
            else Button(ctx.text("rem.btn_subscribe"), "rem:sub")
        )
        buttons = (
            toggle,
            Button(ctx.text("rem.btn_upcoming"), "rem:list"),
            Button(ctx.text("rem.btn_add"), "rem:add"),
            menu_button(ctx),
        )
        return [Reply(f"{ctx.text('rem.intro')}\n{status}", buttons)]

    async def on_payload(self, ctx: Context, action: str) -> list[Reply]:
        verb, _, arg = action.partition(":")
        simple = {
            "start": self.start,
            "sub": self._subscribe,
            "unsub": self._unsubscribe,
            "off": self._unsubscribe,
            "list": self._upcoming,
            "add": self._ask_personal,
            "add_ok": self._confirm_personal,
            "add_retry": self._ask_personal,
            "add_no": self._cancel_personal,
            "bc_ok": officer_only_button(officer.confirm_broadcast),
            "bc_no": officer_only_button(officer.cancel_broadcast),
        }
        if verb in simple and not arg:
            return await simple[verb](ctx)
        ident = parse_number(arg)
        if verb in ("done", "snooze") and ident is not None:
            handler = self._done if verb == "done" else self._snooze
            return await handler(ctx, ident)
        raise StaleButton

    async def on_text(self, ctx: Context, text: str) -> list[Reply]:
        if ctx.state.step in ("add_text", "add_confirm"):
            return await self._parse_personal(ctx, text)
        return await self.start(ctx)

    @staticmethod
    def _leave(ctx: Context) -> None:
        if ctx.state.flow == NAME:
            ctx.state.leave()

    async def _subscribe(self, ctx: Context) -> list[Reply]:
        await ctx.store.reminders.set_subscription(ctx.user.id, True, ctx.now)
        ctx.emit("rem.subscribed")
        buttons = (Button(ctx.text("rem.btn_upcoming"), "rem:list"), menu_button(ctx))
        return [Reply(ctx.text("rem.subscribed"), buttons)]

    async def _unsubscribe(self, ctx: Context) -> list[Reply]:
        await ctx.store.reminders.set_subscription(ctx.user.id, False, ctx.now)
        ctx.emit("rem.unsubscribed")
        buttons = (Button(ctx.text("rem.btn_subscribe"), "rem:sub"), menu_button(ctx))
        return [Reply(ctx.text("rem.unsubscribed"), buttons)]

    async def _upcoming(self, ctx: Context) -> list[Reply]:
        views = await ctx.store.reminders.upcoming_for_user(ctx.user.id, ctx.local_now.date())
        if not views:
            text = ctx.text("rem.upcoming_empty")
        else:
            lines = [ctx.text("rem.upcoming_header")]
            for v in views:
                day = format_date(v.draft.due_on)
                lines.append(ctx.text("rem.upcoming_item", date=day, title=v.draft.title))
            text = "\n".join(lines)
        return [Reply(text, (Button(ctx.text("rem.btn_add"), "rem:add"), menu_button(ctx)))]

    async def _ask_personal(self, ctx: Context) -> list[Reply]:
        ctx.state.enter(NAME, "add_text")
        ctx.state.bucket(NAME).pop("pending", None)
        return [Reply(ctx.text("rem.add_prompt"), (menu_button(ctx),))]

    async def _parse_personal(self, ctx: Context, text: str) -> list[Reply]:
        today = ctx.local_now.date()
        date_text, title = split_personal(text)
        again = (menu_button(ctx),)
        relative, rest = relative_day(text, today)
        if date_text is None and relative is not None:
            day = relative
            title = " ".join(_LEAD.sub("", rest).split()).strip(" ,.;:-–")[:MAX_TITLE]
        elif date_text is None:
            return [Reply(ctx.text("rem.add_no_date"), again)]
        else:
            try:
                day = parse_date(date_text, today=today)
            except ParseError as exc:
                return [Reply(exc.message, again)]
        if day < today:
            return [Reply(ctx.text("rem.add_past", date=format_date(day)), again)]
        if not title:
            return [Reply(ctx.text("rem.add_no_title"), again)]
        ctx.state.enter(NAME, "add_confirm")
        ctx.state.bucket(NAME)["pending"] = {"title": title, "date": day.isoformat()}
        buttons = (
            Button(ctx.text("rem.btn_confirm"), "rem:add_ok"),
            Button(ctx.text("rem.btn_retry"), "rem:add_retry"),
            Button(ctx.text("rem.btn_cancel"), "rem:add_no"),
        )
        return [Reply(ctx.text("rem.add_confirm", title=title, date=format_date(day)), buttons)]

    async def _confirm_personal(self, ctx: Context) -> list[Reply]:
        pending = ctx.state.bucket(NAME).pop("pending", None)
        if not pending:
            return [Reply(ctx.text("rem.nothing_pending"), (menu_button(ctx),))]
        day = date.fromisoformat(pending["date"])
        draft = DeadlineDraft(
            title=pending["title"],
            due_on=day,
            kind="personal",
            audience=Audience("user", str(ctx.user.id)),
        )
        store = ctx.store.reminders
        await store.add_deadline(draft, ctx.user.id, ctx.now)
        sub = await store.subscription(ctx.user.id)
        lines = [ctx.text("rem.added", title=draft.title, date=format_date(day))]
        buttons: tuple[Button, ...] = (
            Button(ctx.text("rem.btn_upcoming"), "rem:list"),
            menu_button(ctx),
        )
        if sub is None or not sub.subscribed:
            # A personal reminder is not consent to programme broadcasts: ask. Switched off
            # (unsubscribed), even this reminder waits until reminders are on again.
            lines.append(ctx.text("rem.offer_subscribe" if sub is None else "rem.offer_resume"))
            buttons = (
                Button(ctx.text("rem.btn_subscribe_yes"), "rem:sub"),
                Button(ctx.text("rem.btn_subscribe_no"), "menu:show"),
            )
        self._leave(ctx)
        ctx.emit("rem.personal_added")
        return [Reply("\n".join(lines), buttons)]

    async def _cancel_personal(self, ctx: Context) -> list[Reply]:
        ctx.state.bucket(NAME).pop("pending", None)
        self._leave(ctx)
        return [Reply(ctx.text("rem.add_cancelled"), (menu_button(ctx),))]

    async def _done(self, ctx: Context, deadline_id: int) -> list[Reply]:
        view = await ctx.store.reminders.get_deadline(deadline_id)
        if view is None or not await ctx.store.reminders.mark_done(
            deadline_id, ctx.user.id, ctx.now
        ):
            return [Reply(ctx.text("rem.gone"), (menu_button(ctx),))]
        ctx.emit("rem.done")
        return [Reply(ctx.text("rem.done", title=view.draft.title), (menu_button(ctx),))]

    async def _snooze(self, ctx: Context, deadline_id: int) -> list[Reply]:
        store = ctx.store.reminders
        view = await store.get_deadline(deadline_id)
        if view is None:
            return [Reply(ctx.text("rem.gone"), (menu_button(ctx),))]
        tz = ctx.config.timezone
        due = ctx.now + SNOOZE
        expires = deadline_end(view.draft.due_on, view.draft.due_time, tz)
        reply = reminder_reply(ctx.kb.ui, view, due.astimezone(tz).date())
        target = Target(ctx.message.channel, ctx.message.reply_address)
        queued = await store.snooze(
            deadline_id,
            ctx.user.id,
            target=target,
            reply=reply,
            due_at=due,
            expires_at=expires,
            now=ctx.now,
        )
        if not queued:
            return [Reply(ctx.text("rem.snooze_too_late", title=view.draft.title))]
        ctx.emit("rem.snoozed")
        when = format_datetime(due.astimezone(tz))
        return [Reply(ctx.text("rem.snoozed", title=view.draft.title, when=when))]


def officer_only_button(
    handler: CommandHandler,
) -> Callable[[Context], Awaitable[list[Reply]]]:
    guarded = officer_only(handler)

    async def press(ctx: Context) -> list[Reply]:
        return await guarded(ctx, "")

    return press
