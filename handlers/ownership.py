"""Who may use a record whose id came from a button or a command: the one ownership check.

Ids in payloads and commands are typed or forged by users ("rem:snooze:17" works for any
17), so the core checks every declared id (`Capability.id_payloads` / `id_commands`) here
before the capability runs: a record is usable by the user it belongs to, and by officers.
A new kind of record (e.g. tickets) adds one branch to `may_use`.

Kinds:
- "deadline": a deadline that concerns the user (all, their sector, their submission's
  milestones, their own personal deadline), as listed by "Hạn sắp tới";
- "submission": the user's own dossier;
- "officer": any record, officers only.
"""

from __future__ import annotations

from typing import Literal

from handlers.context import Context
from knowledge.parsing.numbers import parse_number

RecordKind = Literal["deadline", "submission", "officer"]


def record_id(raw: str) -> int | None:
    """The id in a payload argument or the first word of a command argument ("#12 …")."""
    head = raw.split(maxsplit=1)[0] if raw.strip() else ""
    return parse_number(head.split(":", 1)[0])


async def may_use(ctx: Context, kind: RecordKind, ident: int) -> bool:
    """True when the user owns record `ident` of `kind`, or is an officer."""
    if ctx.user.is_officer:
        return True
    if kind == "submission":
        record = await ctx.store.submissions.get(ident)
        return record is not None and record.user_id == ctx.user.id
    if kind == "deadline":
        return await ctx.store.reminders.concerns(ident, ctx.user.id)
    return False
