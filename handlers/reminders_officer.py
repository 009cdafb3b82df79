"""Officer commands of Nhắc hạn: the programme calendar, broadcasts and their delivery figures.

Every function here is wrapped with officer_only by the capability; replies are short and
plain because officers type commands, not menus.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True)
class DeadlineFields:
    """A calendar deadline as an officer types it, in the chat (`/hanmoi` parts between "|")
    or on the web page's form: `when` "20/06/2027 17:00", `audience` as parse_audience reads."""

    when: str
    title: str
    description: str = ""
    source: str = ""
    audience: str = ""


async def draft_from_fields(ctx: Context, fields: DeadlineFields) -> DeadlineDraft:
    """The calendar deadline these fields describe. Raises InputError (its `.message` is the
    polite reply) for a missing title, a bad or past date or time, or an unknown audience:
    the one validation of `/hanmoi`, `/suahan` and the web page."""
    title = " ".join(fields.title.split())
    if not title:
        raise InputError(ctx.text("rem.officer.add_usage"))
    day, at = parse_when(ctx, fields.when)
    return DeadlineDraft(
        title=title[:200],
        due_on=day,
        due_time=at,
        description=fields.description.strip() or None,
        source=fields.source.strip()[:200] or None,
        kind="calendar",
        audience=await parse_audience(ctx, fields.audience),
    )


async def save_deadline(ctx: Context, deadline_id: int | None, fields: DeadlineFields) -> Reply:
    """Add (`deadline_id` None) or replace a deadline from `fields`; its reminders are
    planned anew. Raises InputError for invalid fields or an unknown id."""
    draft = await draft_from_fields(ctx, fields)
    store = ctx.store.reminders
    if deadline_id is None:
        new_id = await store.add_deadline(draft, ctx.user.id, ctx.now)
        ctx.emit("rem.calendar_added")
        view = DeadlineView(new_id, 1, draft)
        return Reply(
            ctx.text(
                "rem.officer.added",
                id=new_id,
                date=_when(view),
                title=draft.title,
                audience=describe(ctx, draft.audience),
            )
        )
    old = await store.get_deadline(deadline_id)
    if old is None:
        raise InputError(ctx.text("rem.officer.not_found", id=deadline_id))
    draft = dataclasses.replace(draft, kind=old.draft.kind, offsets=old.draft.offsets)
    await store.update_deadline(deadline_id, draft, ctx.now)
    view = DeadlineView(deadline_id, old.revision + 1, draft)
    return Reply(
        ctx.text("rem.officer.edited", id=deadline_id, date=_when(view), title=draft.title)
    )


async def add_deadline(ctx: Context, argument: str) -> list[Reply]:
    parts = [p.strip() for p in argument.split("|")]
    if len(parts) < 2 or not parts[1]:
        return [Reply(ctx.text("rem.officer.add_usage"))]
    parts += [""] * (5 - len(parts))
    try:
        return [await save_deadline(ctx, None, DeadlineFields(*parts[:5]))]
    except InputError as exc:
        return [Reply(exc.message)]


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


@dataclass(frozen=True, slots=True)
class BroadcastPreview:
    """What a broadcast will be: its audience, how many people it reaches now, the message
    exactly as they will receive it, and the officer's preview text."""

    text: str
    audience: Audience
    count: int
    message: Reply
    preview: str


async def preview_broadcast(ctx: Context, audience_text: str, text: str) -> BroadcastPreview:
    """Raises InputError for an empty text, an unknown audience, or an audience of nobody
    (the one validation of `/phatthanh` and the web page's composer)."""
    text = text.strip()
    if not text:
        raise InputError(ctx.text("rem.officer.bc_usage"))
    audience = await parse_audience(ctx, audience_text)
    count = await ctx.store.reminders.count_audience(audience)
    if count == 0:
        raise InputError(ctx.text("rem.officer.bc_nobody", audience=describe(ctx, audience)))
    message = _message(ctx, text)
    preview = ctx.text(
        "rem.officer.bc_preview",
        message=message.text,
        count=count,
        audience=describe(ctx, audience),
    )
    return BroadcastPreview(text, audience, count, message, preview)


async def queue_broadcast(ctx: Context, audience: Audience, text: str) -> tuple[int, int]:
    """Queue the confirmed broadcast: one outbox row per recipient now; (id, recipients)."""
    broadcast_id, count = await ctx.store.reminders.create_broadcast(
        text, audience, _message(ctx, text), ctx.user.id, ctx.now
    )
    ctx.emit("rem.broadcast_queued")
    return broadcast_id, count


async def broadcast(ctx: Context, argument: str) -> list[Reply]:
    head, sep, body = argument.partition("|")
    text, audience_text = (body.strip(), head) if sep else (argument.strip(), "")
    try:
        planned = await preview_broadcast(ctx, audience_text, text)
    except InputError as exc:
        return [Reply(exc.message)]
    ctx.state.bucket(NAME)["broadcast"] = {
        "text": planned.text,
        "audience": [planned.audience.kind, planned.audience.value],
    }
    buttons = (
        Button(ctx.text("rem.officer.btn_send"), "rem:bc_ok"),
        Button(ctx.text("rem.btn_cancel"), "rem:bc_no"),
    )
    return [Reply(planned.preview, buttons)]


async def confirm_broadcast(ctx: Context, _argument: str) -> list[Reply]:
    pending = ctx.state.bucket(NAME).pop("broadcast", None)
    if not pending:
        return [Reply(ctx.text("rem.officer.bc_nothing"))]
    broadcast_id, count = await queue_broadcast(
        ctx, Audience(*pending["audience"]), pending["text"]
    )
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
                uncertain=ctx.text("rem.officer.figures_uncertain", count=item.uncertain)
                if item.uncertain
                else "",
                preview=preview,
            )
        )
    return [Reply("\n\n".join(lines))]
