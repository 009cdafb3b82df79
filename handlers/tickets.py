""" "Hỏi cán bộ": an owner's question handed to a person, and the officers' answers.

The owner writes the question (text, photo or file); the bot confirms and says when officers
usually answer (knowledge/officer/desk.yaml). The officer chat gets the ticket with the owner's
recent context through the outbox; an officer answers by replying to that message (Telegram
reply; the quoted text carries the ticket's reference), by `/traloi ID nội dung`, or from the
web page. The answer reaches the owner on their channel through the outbox (Zalo's 48-hour
window holds it there, bot/db/outbox.py). An unanswered ticket reminds the officer chat once,
after `remind_after_days` working days. Statuses: handlers.ports.TICKET_STATUSES.

Payloads: `officer:ask` (stable: abstentions, "not eligible" results, "Liên hệ cán bộ" and the
menu use it), `officer:take:ID`, `officer:answer:ID`, `officer:close:ID`, `officer:mine`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC

from handlers.capability import Capability, CommandHandler, StaleButton, officer_only
from handlers.context import Context
from handlers.menu import menu_button
from handlers.messages import Button, Document, Reply, Target
from handlers.ownership import may_use, record_id
from handlers.ports import TicketRecord
from handlers.submissions import officer_actor

CAP = "officer"
ASK_PAYLOAD = f"{CAP}:ask"
_REF = re.compile(r"\bYC-(\d{1,12})\b")
_MIN_ANSWER = 2
_RECENT = 3
_RECENT_CHARS = 200
_QUOTED = 80  # characters of the owner's question quoted back with an answer
OPEN_STATUSES = ("new", "in_progress")


def ticket_ref(ticket_id: int) -> str:
    """How a ticket is named to people: "YC-12" (yêu cầu)."""
    return f"YC-{ticket_id}"


def ticket_refs_in(text: str) -> str:
    """The ticket references in `text` ("YC-3 YC-7"), nothing else of it: what a channel
    that only learns a quoted message's id keeps of the messages it sent (bot/channels/zalo),
    so that a quote still names its ticket without storing anyone's words."""
    return " ".join(dict.fromkeys(f"YC-{m}" for m in _REF.findall(text)))


def reminder_key(ticket_id: int) -> str:
    """The outbox key of a ticket's one "still unanswered" reminder to the officer chat."""
    return f"ticket:{ticket_id}:remind"


def ask_button(ctx: Context) -> Button:
    return Button(ctx.text("officer.ask_button"), ASK_PAYLOAD)


def status_label(ctx: Context, status: str) -> str:
    key = f"officer.status.{status}"
    return ctx.text(key) if key in ctx.kb.ui else status


async def visible_ticket(ctx: Context, raw_id: str | int) -> TicketRecord | None:
    """The ticket named by `raw_id` ("12", "#12", "YC-12") if this user may use it, else None.

    Whether they may is the one ownership check (handlers/ownership.may_use, kind "ticket":
    its owner, or an officer); the core applies the same check to the declared payloads and
    commands before this capability runs.
    """
    ident = record_id(str(raw_id))
    if ident is None or not await may_use(ctx, "ticket", ident):
        return None
    return await ctx.store.tickets.get(ident)


async def _context_lines(ctx: Context) -> str:
    lines = [
        ctx.text(
            "officer.context_submission",
            id=s.id,
            establishment=s.establishment,
            status=ctx.text(f"sub.status.{s.status}")
            if f"sub.status.{s.status}" in ctx.kb.ui
            else s.status,
        )
        for s in (await ctx.store.submissions.for_user(ctx.user.id))[:3]
    ]
    recent = ctx.state.bucket(CAP).get("recent", [])
    lines += [ctx.text("officer.context_recent", text=t) for t in recent if isinstance(t, str)]
    return "\n".join(lines) or ctx.text("officer.context_none")


async def open_ticket(ctx: Context, question: str) -> list[Reply]:
    """Create the ticket from the current message (text and/or attachment), tell the officer
    chat, queue the one reminder, and confirm to the owner."""
    attachment = ctx.message.attachment
    text = question or ctx.text("officer.attachment_only")
    ticket_id = await ctx.store.tickets.create(
        user_id=ctx.user.id,
        owner_target=f"{ctx.user.channel}:{ctx.message.chat_id}",
        owner_name=ctx.user.display_name,
        question=text,
        context=await _context_lines(ctx),
        attachment=attachment.to_dict() if attachment else None,
    )
    ref = ticket_ref(ticket_id)
    who = ctx.user.display_name or f"#{ctx.user.id}"
    ticket = await ctx.store.tickets.get(ticket_id)
    assert ticket is not None
    officer_chat = ctx.config.officer_chat
    desk = ctx.kb.desk
    if officer_chat is not None:
        documents = (Document(attachment, f"{ref}-{attachment.kind}"),) if attachment else ()
        notice = Reply(
            ctx.text("officer.notice", ref=ref, id=ticket_id, who=who, channel=ctx.user.channel,
                     question=text, context=ticket.context),
            (
                Button(ctx.text("officer.btn_take", ref=ref), f"{CAP}:take:{ticket_id}"),
                Button(ctx.text("officer.btn_answer", ref=ref), f"{CAP}:answer:{ticket_id}"),
            ),
            documents,
        )  # fmt: skip
        await ctx.store.outbox.enqueue(
            key=f"ticket:{ticket_id}:new", target=officer_chat, reply=notice, due_at=ctx.now
        )
        if desk is not None:
            due = desk.add_working_days(ctx.local_now, desk.remind_after_days)
            remind = Reply(
                ctx.text("officer.remind", ref=ref, id=ticket_id, who=who, question=text,
                         days=desk.remind_after_days),
                (Button(ctx.text("officer.btn_answer", ref=ref), f"{CAP}:answer:{ticket_id}"),),
            )  # fmt: skip
            await ctx.store.outbox.enqueue(
                key=reminder_key(ticket_id), target=officer_chat, reply=remind,
                due_at=due.astimezone(UTC),
            )  # fmt: skip
    ctx.emit("officer.ticket_opened")
    if desk is not None:
        confirm = ctx.text(
            "officer.confirm", ref=ref, hours=desk.hours_text(), days=desk.answer_within_days
        )
    else:
        confirm = ctx.text("officer.confirm_no_hours", ref=ref)
    return [Reply(confirm, (menu_button(ctx),))]


async def open_ticket_for_owner(
    ctx: Context,
    *,
    user_id: int,
    owner_target: str,
    owner_name: str | None,
    question: str,
    asked_times: int,
) -> int:
    """An officer opens a ticket on an owner's behalf (a question the bot could not answer,
    from the web page), to answer them personally: status "đang xử lý", no notice to the
    officer chat (an officer holds it already), audited. Returns the ticket id; the answer
    then goes out like any other (answer_ticket), to `owner_target` ("channel:chat_id")."""
    ticket_id = await ctx.store.tickets.create(
        user_id=user_id,
        owner_target=owner_target,
        owner_name=owner_name,
        question=question,
        context=ctx.text("officer.context_abstained", count=asked_times),
        attachment=None,
    )
    await ctx.store.tickets.set_status(ticket_id, "in_progress")
    ref = ticket_ref(ticket_id)
    await ctx.store.tickets.audit(officer_actor(ctx), "ticket.open_for_owner", ref, question[:500])
    ctx.emit("officer.ticket_opened")
    return ticket_id


async def answer_ticket(ctx: Context, ticket: TicketRecord, text: str) -> list[Reply]:
    """An officer's answer: stored, sent to the owner through the outbox, status "answered",
    the pending reminder cancelled, the action audited. Used by chat and by the web page."""
    ref = ticket_ref(ticket.id)
    if ticket.status == "closed":
        return [Reply(ctx.text("officer.already_closed", ref=ref))]
    if sum(ch.isalnum() for ch in text) < _MIN_ANSWER:
        return [Reply(ctx.text("officer.answer_too_short"))]
    actor = officer_actor(ctx)
    await ctx.store.tickets.add_message(ticket.id, author=actor, text=text)
    await ctx.store.tickets.set_status(ticket.id, "answered")
    await ctx.store.tickets.cancel_reminder(ticket.id)
    await ctx.store.tickets.audit(actor, "ticket.answer", ref, text[:500])
    asked = ticket.question if len(ticket.question) <= _QUOTED else ticket.question[:_QUOTED] + "…"
    owner = Reply(
        "\n".join((ctx.text("officer.owner_answer", ref=ref, text=text, question=asked),
                   ctx.text("officer.owner_more"))),
        (ask_button(ctx), menu_button(ctx)),
    )  # fmt: skip
    count = len(ticket.messages)
    await ctx.store.outbox.enqueue(
        key=f"ticket:{ticket.id}:answer:{count}:{ctx.message.message_id or ctx.now.isoformat()}",
        target=Target.parse(ticket.owner_target),
        reply=owner,
        due_at=ctx.now,
        user_id=ticket.user_id,
    )
    ctx.emit("officer.ticket_answered")
    return [Reply(ctx.text("officer.answered", ref=ref))]


async def set_ticket_status(ctx: Context, ticket: TicketRecord, status: str) -> list[Reply]:
    """Take (in_progress) or close a ticket; closing also cancels its reminder."""
    ref = ticket_ref(ticket.id)
    await ctx.store.tickets.set_status(ticket.id, status)
    if status == "closed":
        await ctx.store.tickets.cancel_reminder(ticket.id)
    if ctx.user.is_officer:
        await ctx.store.tickets.audit(officer_actor(ctx), f"ticket.{status}", ref, None)
    if status == "closed":
        key = "officer.closed" if ctx.user.is_officer else "officer.closed_owner"
        return [Reply(ctx.text(key, ref=ref))]
    return [Reply(ctx.text("officer.taken", ref=ref))]


class TicketsCapability(Capability):
    name = CAP
    id_payloads = {"take": "officer", "answer": "officer", "close": "ticket"}
    id_commands = {"traloi": "officer"}

    def commands(self) -> Mapping[str, CommandHandler]:
        return {
            "hoicanbo": self._command_start,
            "traloi": officer_only(self._answer_command),
            "hopthu": officer_only(self._queue),
        }

    async def _command_start(self, ctx: Context, argument: str) -> list[Reply]:
        if argument.strip():
            ctx.state.leave()
            return await open_ticket(ctx, argument.strip())
        return await self.start(ctx)

    async def start(self, ctx: Context) -> list[Reply]:
        ctx.state.enter(CAP, "question")
        return [Reply(ctx.text("officer.prompt"), (menu_button(ctx),))]

    async def on_payload(self, ctx: Context, action: str) -> list[Reply]:
        verb, _, rest = action.partition(":")
        if verb == "ask":
            return await self.start(ctx)
        if verb == "mine":
            return await self._mine(ctx)
        if verb not in ("take", "answer", "close"):
            raise StaleButton
        ticket = await visible_ticket(ctx, rest)
        if ticket is None:
            return [Reply(ctx.text("officer.not_found", ref=ticket_ref(0) if not rest.isdigit()
                                   else ticket_ref(int(rest))))]  # fmt: skip
        if verb == "close":
            return await set_ticket_status(ctx, ticket, "closed")
        if not ctx.user.is_officer:
            return [Reply(ctx.text("core.officer_only"))]
        if verb == "take":
            return await set_ticket_status(ctx, ticket, "in_progress")
        ctx.state.enter(CAP, "answer")
        ctx.state.bucket(CAP)["answering"] = ticket.id
        return [Reply(ctx.text("officer.answer_prompt", ref=ticket_ref(ticket.id)))]

    async def on_text(self, ctx: Context, text: str) -> list[Reply]:
        step = ctx.state.step
        ctx.state.leave()
        if step == "answer" and ctx.user.is_officer:
            ticket = await visible_ticket(ctx, ctx.state.bucket(CAP).pop("answering", ""))
            if ticket is not None:
                return await answer_ticket(ctx, ticket, text)
        if step == "question":
            return await open_ticket(ctx, text)
        raise StaleButton

    async def on_attachment(self, ctx: Context) -> list[Reply] | None:
        if ctx.state.step != "question" or ctx.message.attachment is None:
            return None
        ctx.state.leave()
        return await open_ticket(ctx, (ctx.message.text or "").strip())

    async def on_free_text(self, ctx: Context, text: str) -> list[Reply] | None:
        """An officer replying to a ticket's message; an owner asking for a person; otherwise
        the owner's latest questions are kept (the context an officer gets with a ticket)."""
        quoted = ctx.message.reply_to_text
        if quoted and ctx.user.is_officer:
            match = _REF.search(quoted)
            ticket = await visible_ticket(ctx, match[1]) if match else None
            if ticket is not None:
                return await answer_ticket(ctx, ticket, text)
        if ctx.state.flow is not None or text.startswith("/"):
            return None
        desk = ctx.kb.desk
        if desk is not None and desk.wants_officer(text) and not ctx.user.is_officer:
            return await self.start(ctx)
        if not ctx.user.is_officer:
            bucket = ctx.state.bucket(CAP)
            recent = [t for t in bucket.get("recent", []) if isinstance(t, str)]
            bucket["recent"] = [*recent, text[:_RECENT_CHARS]][-_RECENT:]
        return None

    async def _answer_command(self, ctx: Context, argument: str) -> list[Reply]:
        head, _, text = argument.strip().partition(" ")
        ticket = await visible_ticket(ctx, head) if head else None
        if not head or not text.strip():
            return [Reply(ctx.text("officer.answer_usage"))]
        if ticket is None:
            return [Reply(ctx.text("officer.not_found", ref=head[:20]))]
        return await answer_ticket(ctx, ticket, text.strip())

    async def _queue(self, ctx: Context, argument: str) -> list[Reply]:
        tickets = await ctx.store.tickets.queue(OPEN_STATUSES)
        if not tickets:
            return [Reply(ctx.text("officer.queue_none"))]
        lines = [ctx.text("officer.queue_title", count=len(tickets))]
        lines += [_line(ctx, t, t.owner_name or f"#{t.user_id}") for t in tickets]
        buttons = tuple(
            Button(ctx.text("officer.btn_answer", ref=ticket_ref(t.id)), f"{CAP}:answer:{t.id}")
            for t in tickets[:10]
        )
        return [Reply("\n".join(lines), buttons)]

    async def _mine(self, ctx: Context) -> list[Reply]:
        tickets = await ctx.store.tickets.for_user(ctx.user.id)
        if not tickets:
            return [Reply(ctx.text("officer.mine_none"), (ask_button(ctx), menu_button(ctx)))]
        lines = [ctx.text("officer.mine_title")]
        lines += [_line(ctx, t, t.owner_name or "") for t in tickets[:10]]
        return [Reply("\n".join(lines), (ask_button(ctx), menu_button(ctx)))]


def _line(ctx: Context, ticket: TicketRecord, who: str) -> str:
    return ctx.text(
        "officer.queue_line",
        ref=ticket_ref(ticket.id),
        status=status_label(ctx, ticket.status),
        who=who,
        question=ticket.question[:120],
    )
