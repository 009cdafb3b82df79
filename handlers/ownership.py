"""Who may use a record whose id came from a button or a command: the one ownership check.

Ids in payloads and commands are typed or forged by users ("rem:snooze:17" works for any
17), so the core checks every declared id (`Capability.id_payloads` / `id_commands`) here
before the capability runs: a record is usable by the user it belongs to, and by officers.
A new kind of record (e.g. tickets) adds one branch to `may_use`.

Kinds:
- "deadline": a deadline that concerns the user (all, their sector, their submission's
  milestones, their own personal deadline), as listed by "Hạn sắp tới";
- "submission": the user's own dossier;
- "ticket": the user's own "Hỏi cán bộ" ticket (YC-n);
- "checkin" / "support": a follow-up check-in, or the support record it follows, of the
  user's own dossier;
- "officer": any record, officers only.
"""

from __future__ import annotations

from typing import Literal

from handlers.context import Context
from knowledge.parsing.numbers import parse_number

RecordKind = Literal["deadline", "submission", "ticket", "checkin", "support", "officer"]


def record_id(raw: str) -> int | None:
    """The id in a payload argument or the first word of a command argument ("#12 …", and a
    ticket's reference "YC-12 …" as people write it)."""
    head = raw.split(maxsplit=1)[0] if raw.strip() else ""
    head = head.split(":", 1)[0]
    if head[:3].upper() == "YC-":
        head = head[3:]
    return parse_number(head)


async def may_use(ctx: Context, kind: RecordKind, ident: int) -> bool:
    """True when the user owns record `ident` of `kind`, or is an officer."""
    if ctx.user.is_officer:
        return True
    if kind == "submission":
        record = await ctx.store.submissions.get(ident)
        return record is not None and record.user_id == ctx.user.id
    if kind == "deadline":
        return await ctx.store.reminders.concerns(ident, ctx.user.id)
    if kind == "ticket":
        ticket = await ctx.store.tickets.get(ident)
        return ticket is not None and ticket.user_id == ctx.user.id
    if kind == "checkin":
        checkin = await ctx.store.checkins.get_checkin(ident)
        return checkin is not None and await may_use(ctx, "support", checkin.support_id)
    if kind == "support":
        support = await ctx.store.checkins.get_support(ident)
        return support is not None and support.user_id == ctx.user.id
    return False
