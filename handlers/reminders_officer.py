"""Officer commands of Nhắc hạn: the programme calendar, broadcasts and their delivery figures.

Every function here is wrapped with officer_only by the capability; replies are short and
plain because officers type commands, not menus.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date, time

from handlers.context import Context
from handlers.deadlines import Audience, DeadlineDraft, DeadlineView
from handlers.messages import Button, Reply
from knowledge.eligibility.answers import CHOICE_VALUES
from knowledge.eligibility.reading import AnswerReader
from knowledge.formatting import format_date, format_datetime
from knowledge.parsing.dates import parse_date
from knowledge.parsing.errors import ParseError
from knowledge.parsing.fold import fold
from knowledge.parsing.numbers import parse_number

NAME = "rem"
# An audience by sector uses the sector values of SPEC §4.
SECTORS = CHOICE_VALUES["sector"]
_TIME = re.compile(r"^(\d{1,2})\s*[:hg]\s*(\d{2})?$", re.IGNORECASE)
_ALL = {"", "tất cả", "tat ca", "tat_ca", "all"}
_FIELDS = {"ngay", "tieude", "mota", "nguon", "doituong"}


class InputError(ValueError):
    """An officer's malformed argument; `.message` is the reply."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def describe(ctx: Context, audience: Audience) -> str:
    return ctx.text(f"rem.audience.{audience.kind}", value=audience.value or "")


async def parse_audience(ctx: Context, text: str) -> Audience:
    raw = " ".join(text.split())
    kind, _, value = raw.partition(":")
    kind, value = kind.strip().lower(), value.strip()
    if raw.lower() in _ALL:
        return Audience("all")
    if kind in ("nganh", "ngành") and value:
        code = sector_code(ctx, value)
        if code is None:
            known = ", ".join(SECTORS)
            raise InputError(ctx.text("rem.officer.unknown_sector", value=value, sectors=known))
        return Audience("sector", code)
    if kind in ("hoso", "hồ sơ", "ho so") and value and len(value) <= 64:
        return Audience("submission", value)
    if kind in ("nguoi", "người") and ":" in value:
        channel, _, external = value.partition(":")
        user_id = await ctx.store.reminders.find_user(channel.strip(), external.strip())
        if user_id is None:
            raise InputError(ctx.text("rem.officer.unknown_user", value=value))
        return Audience("user", str(user_id))
    raise InputError(ctx.text("rem.officer.bad_audience", value=raw[:60]))


def sector_code(ctx: Context, typed: str) -> str | None:
    """The SPEC §4 sector code an officer means: the code itself, the code with spaces or
    without diacritics ("che bien nong lam thuy san"), or a label or example the eligibility
    check understands ("chế biến nông sản", "gốm", "vlxd"); None when nothing matches."""
    folded = fold(typed).replace("-", " ").replace("_", " ")
    for code in SECTORS:
        if folded == code.replace("_", " "):
            return code
    rules = ctx.kb.eligibility
    if rules is None:
        return None
    found = AnswerReader(rules).match_option(typed, "sector")
    return found if found in SECTORS else None


def parse_when(ctx: Context, text: str) -> tuple[date, time | None]:
    parts = text.split()
    if not parts:
        raise InputError(ctx.text("rem.officer.add_usage"))
    try:
        day = parse_date(parts[0], today=ctx.local_now.date())
    except ParseError as exc:
        raise InputError(exc.message) from None
    at = None
    if len(parts) > 1:
        match = _TIME.match("".join(parts[1:]))
        if match is None or int(match[1]) > 23 or int(match[2] or 0) > 59:
            raise InputError(ctx.text("rem.officer.bad_time", value=" ".join(parts[1:])[:20]))
        at = time(int(match[1]), int(match[2] or 0))
    if day < ctx.local_now.date():
        raise InputError(ctx.text("rem.officer.past", date=format_date(day)))
    return day, at


def _when(view: DeadlineView) -> str:
    at = f" {view.draft.due_time:%H:%M}" if view.draft.due_time else ""
    return format_date(view.draft.due_on) + at


async def add_deadline(ctx: Context, argument: str) -> list[Reply]:
    parts = [p.strip() for p in argument.split("|")]
    if len(parts) < 2 or not parts[1]:
        return [Reply(ctx.text("rem.officer.add_usage"))]
    parts += [""] * (5 - len(parts))
    try:
        day, at = parse_when(ctx, parts[0])
        audience = await parse_audience(ctx, parts[4])
    except InputError as exc:
        return [Reply(exc.message)]
    draft = DeadlineDraft(
        title=parts[1][:200],
        due_on=day,
        due_time=at,
        description=parts[2] or None,
        source=parts[3][:200] or None,
        kind="calendar",
        audience=audience,
    )
    new_id = await ctx.store.reminders.add_deadline(draft, ctx.user.id, ctx.now)
    ctx.emit("rem.calendar_added")
    view = DeadlineView(new_id, 1, draft)
    text = ctx.text(
        "rem.officer.added",
        id=new_id,
        date=_when(view),
        title=draft.title,
        audience=describe(ctx, audience),
    )
    return [Reply(text)]


async def list_deadlines(ctx: Context, argument: str) -> list[Reply]:
    views = await ctx.store.reminders.list_deadlines("calendar", ctx.local_now.date())
    if not views:
        return [Reply(ctx.text("rem.officer.list_empty"))]
    lines = [ctx.text("rem.officer.list_header")]
    for view in views:
        lines.append(
            ctx.text(
                "rem.officer.list_item",
                id=view.id,
                date=_when(view),
                title=view.draft.title,
                audience=describe(ctx, view.draft.audience),
            )
        )
    return [Reply("\n".join(lines))]


def _deadline_id(argument: str) -> int | None:
    head = argument.split(maxsplit=1)[0] if argument.strip() else ""
    return parse_number(head)


async def edit_deadline(ctx: Context, argument: str) -> list[Reply]:
    deadline_id = _deadline_id(argument)
    rest = argument.split(maxsplit=1)[1] if len(argument.split(maxsplit=1)) > 1 else ""
    field, sep, value = rest.partition("=")
    field, value = field.strip().lower(), value.strip()
    if deadline_id is None or not sep or field not in _FIELDS:
        return [Reply(ctx.text("rem.officer.edit_usage"))]
    store = ctx.store.reminders
    view = await store.get_deadline(deadline_id)
    if view is None:
        return [Reply(ctx.text("rem.officer.not_found", id=deadline_id))]
    draft = view.draft
    try:
        if field == "ngay":
            day, at = parse_when(ctx, value)
            draft = dataclasses.replace(draft, due_on=day, due_time=at)
        elif field == "tieude":
            if not value:
                return [Reply(ctx.text("rem.officer.edit_usage"))]
            draft = dataclasses.replace(draft, title=value[:200])
        elif field == "mota":
            draft = dataclasses.replace(draft, description=value or None)
        elif field == "nguon":
            draft = dataclasses.replace(draft, source=value[:200] or None)
        else:
            draft = dataclasses.replace(draft, audience=await parse_audience(ctx, value))
    except InputError as exc:
        return [Reply(exc.message)]
    await store.update_deadline(deadline_id, draft, ctx.now)
    new = DeadlineView(deadline_id, view.revision + 1, draft)
    text = ctx.text("rem.officer.edited", id=deadline_id, date=_when(new), title=draft.title)
    return [Reply(text)]


async def delete_deadline(ctx: Context, argument: str) -> list[Reply]:
    deadline_id = _deadline_id(argument)
    if deadline_id is None:
        return [Reply(ctx.text("rem.officer.delete_usage"))]
    if not await ctx.store.reminders.delete_deadline(deadline_id, ctx.now):
        return [Reply(ctx.text("rem.officer.not_found", id=deadline_id))]
    return [Reply(ctx.text("rem.officer.deleted", id=deadline_id))]


def _message(ctx: Context, text: str) -> Reply:
    return Reply(f"{ctx.text('rem.broadcast_header')}\n{text}")


async def broadcast(ctx: Context, argument: str) -> list[Reply]:
    head, sep, body = argument.partition("|")
    text, audience_text = (body.strip(), head) if sep else (argument.strip(), "")
    if not text:
        return [Reply(ctx.text("rem.officer.bc_usage"))]
    try:
        audience = await parse_audience(ctx, audience_text)
    except InputError as exc:
        return [Reply(exc.message)]
    count = await ctx.store.reminders.count_audience(audience)
    if count == 0:
        return [Reply(ctx.text("rem.officer.bc_nobody", audience=describe(ctx, audience)))]
    ctx.state.bucket(NAME)["broadcast"] = {
        "text": text,
        "audience": [audience.kind, audience.value],
    }
    preview = ctx.text(
        "rem.officer.bc_preview",
        message=_message(ctx, text).text,
        count=count,
        audience=describe(ctx, audience),
    )
    buttons = (
        Button(ctx.text("rem.officer.btn_send"), "rem:bc_ok"),
        Button(ctx.text("rem.btn_cancel"), "rem:bc_no"),
    )
    return [Reply(preview, buttons)]


async def confirm_broadcast(ctx: Context, _argument: str) -> list[Reply]:
    pending = ctx.state.bucket(NAME).pop("broadcast", None)
    if not pending:
        return [Reply(ctx.text("rem.officer.bc_nothing"))]
    audience = Audience(*pending["audience"])
    reply = _message(ctx, pending["text"])
    store = ctx.store.reminders
    broadcast_id, count = await store.create_broadcast(
        pending["text"], audience, reply, ctx.user.id, ctx.now
    )
    ctx.emit("rem.broadcast_queued")
    return [Reply(ctx.text("rem.officer.bc_queued", id=broadcast_id, count=count))]


async def cancel_broadcast(ctx: Context, _argument: str) -> list[Reply]:
    found = ctx.state.bucket(NAME).pop("broadcast", None)
    return [Reply(ctx.text("rem.officer.bc_cancelled" if found else "rem.officer.bc_nothing"))]


async def figures(ctx: Context, argument: str) -> list[Reply]:
    store = ctx.store.reminders
    if argument.strip():
        broadcast_id = _deadline_id(argument)
        if broadcast_id is None:
            return [Reply(ctx.text("rem.officer.figures_usage"))]
        found = await store.broadcast_figures(broadcast_id)
        items = [found] if found else []
    else:
        items = await store.recent_broadcasts()
    if not items:
        return [Reply(ctx.text("rem.officer.figures_empty"))]
    lines = []
    for item in items:
        created = format_datetime(item.created_at.astimezone(ctx.config.timezone))
        preview = item.text if len(item.text) <= 80 else item.text[:79] + "…"
        lines.append(
            ctx.text(
                "rem.officer.figures",
                id=item.id,
                created=created,
                recipients=item.recipients,
                sent=item.sent,
                failed=item.failed,
                unreachable=item.unreachable,
                waiting=item.waiting,
                preview=preview,
            )
        )
    return [Reply("\n\n".join(lines))]
