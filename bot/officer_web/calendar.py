"""The "Nhắc hạn & phát thanh" page: the programme's deadlines by month (add, edit, delete)
and the broadcast composer (audience, count and preview, then confirm) with each
broadcast's delivery results.

Every check and change goes through the chat's own functions (handlers/reminders_officer.py:
`save_deadline`, `delete_deadline`, `preview_broadcast`, `queue_broadcast`) run as the
signed-in officer, so the page and `/hanmoi /suahan /xoahan /phatthanh` validate alike.
Delivery results are the outbox's own counts by status (bot/db/outbox.count_by_status):
any status the outbox reports is shown, under its Vietnamese name when one is known.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web
from sqlalchemy import select

from bot.db import outbox as outbox_rows
from bot.db.models import User
from bot.db.outbox import OutboxStatus
from bot.db.repositories import SqlStore
from bot.db.types import table_of
from handlers.context import Context
from handlers.deadlines import Audience, DeadlineView
from handlers.messages import Reply
from handlers.reminders_officer import (
    SECTORS,
    BroadcastPreview,
    DeadlineFields,
    InputError,
    delete_deadline,
    describe,
    preview_broadcast,
    queue_broadcast,
    save_deadline,
)

if TYPE_CHECKING:
    from bot.officer_web.views import OfficerWeb

_users = table_of(User)
_MAX_TEXT = 2000
# The order statuses are listed in; their words are the UI texts `rem.delivery.<status>`, and
# a status without one (a new one of the outbox) is shown as stored, after these.
_ORDER = ["sent", "pending", "sending", "held", "muted", "uncertain", "failed", "unreachable",
          "expired", "cancelled"]  # fmt: skip


@dataclass(frozen=True, slots=True)
class Delivery:
    """One broadcast and its outbox rows counted by status, in STATUS_NAMES order."""

    id: int
    text: str
    created_at: Any
    recipients: int
    statuses: list[tuple[str, str, int]]  # (status, label, count)


def _fields(form: Any) -> DeadlineFields:
    when = f"{str(form.get('date', '')).strip()} {str(form.get('time', '')).strip()}"
    return DeadlineFields(
        when=when.strip()[:40],
        title=str(form.get("title", ""))[:300],
        description=str(form.get("description", ""))[:_MAX_TEXT],
        source=str(form.get("source", ""))[:300],
        audience=str(form.get("audience", ""))[:120],
    )


def _by_month(views: list[DeadlineView]) -> list[tuple[str, list[DeadlineView]]]:
    months: dict[str, list[DeadlineView]] = {}
    for view in views:
        months.setdefault(f"Tháng {view.draft.due_on:%m/%Y}", []).append(view)
    return list(months.items())


class CalendarPages:
    """Routes of `/officer/nhachan` on the officers' sub-application."""

    def __init__(self, officer: OfficerWeb) -> None:
        self.web = officer
        self.app = officer.app

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/nhachan", self.page),
            web.post("/nhachan/han", self.save),
            web.post("/nhachan/han/{id:\\d+}", self.save),
            web.post("/nhachan/han/{id:\\d+}/xoa", self.delete),
            web.post("/nhachan/phatthanh/xem", self.preview),
            web.post("/nhachan/phatthanh/gui", self.send),
        ]

    async def _run(self, request: web.Request, action: Callable[[Context], Awaitable[Any]]) -> Any:
        """`action`'s result, run as the signed-in officer in one transaction."""
        from bot.officer_web.views import SESSION_KEY

        info = request[SESSION_KEY]
        out: list[Any] = []

        async def wrapped(ctx: Context) -> list[Reply]:
            out.append(await action(ctx))
            return []

        await self.app.dispatcher.run_as(info.channel, info.external_id, wrapped)
        return out[0]

    async def _audit(self, request: web.Request, action: str, subject: str, detail: str) -> None:
        from bot.officer_web.views import SESSION_KEY

        await self.web._audit(request[SESSION_KEY], action, subject, detail)

    # --- the page -----------------------------------------------------------------------

    async def page(
        self,
        request: web.Request,
        *,
        error: str | None = None,
        form: dict[str, str] | None = None,
        planned: BroadcastPreview | None = None,
        composer: dict[str, str] | None = None,
        status: int = 200,
    ) -> web.StreamResponse:
        today = self.app.clock.now().astimezone(self.app.settings.tz).date()
        editing = request.query.get("sua", "")
        async with self.app.db.transaction() as session:
            store = SqlStore(session, self.app.clock.now())
            views = await store.reminders.list_deadlines("calendar", today, limit=300)
            edited = (
                await store.reminders.get_deadline(int(editing)) if editing.isdigit() else None
            )
            broadcasts = await store.reminders.recent_broadcasts(limit=10)
            deliveries = []
            for item in broadcasts:
                counts = await outbox_rows.count_by_status(
                    session, outbox_rows.broadcast_prefix(item.id)
                )
                # A claimed row is still waiting for its turn, as officers see it.
                if claimed := counts.pop(OutboxStatus.CLAIMED, 0):
                    counts[OutboxStatus.PENDING] = counts.get(OutboxStatus.PENDING, 0) + claimed
                statuses = sorted(
                    counts.items(),
                    key=lambda kv: (_ORDER.index(kv[0]) if kv[0] in _ORDER else 99, kv[0]),
                )
                deliveries.append(
                    Delivery(
                        item.id, item.text, item.created_at, item.recipients,
                        [(s, self._status_name(s), n) for s, n in statuses],
                    )
                )  # fmt: skip
            edit_audience = await self._audience_text(session, edited) if edited else ""
        if form is None and edited is not None:
            draft = edited.draft
            form = {
                "date": f"{draft.due_on:%d/%m/%Y}",
                "time": f"{draft.due_time:%H:%M}" if draft.due_time else "",
                "title": draft.title,
                "description": draft.description or "",
                "source": draft.source or "",
                "audience": edit_audience,
            }
        audiences = self._audiences()
        return self.web._render(
            request,
            "calendar.html",
            {
                "months": _by_month(views),
                "audiences": audiences,
                "describe": dict(audiences),
                "edited": edited,
                "form": form or {},
                "error": error,
                "planned": planned,
                "composer": composer or {},
                "deliveries": deliveries,
                "tz": self.app.settings.tz,
                "flash": request.query.get("ok"),
            },
            status=status,
        )

    def _status_name(self, status: str) -> str:
        key = f"rem.delivery.{status}"
        return self.app.kb.ui.text(key) if key in self.app.kb.ui else status

    def _audiences(self) -> list[tuple[str, str]]:
        """(value parse_audience reads, words) for the audience choices: everyone, each sector
        of SPEC §4 by its label on the intake form."""
        step = next((q for q in self.app.kb.intake_form.steps if q.id == "sector"), None)

        def label(code: str) -> str:
            return step.label_of(code) if step is not None else code

        choices = [("", "Tất cả người đăng ký nhắc hạn")]
        choices += [(f"nganh:{code}", f"Ngành: {label(code)}") for code in SECTORS]
        return choices

    async def _audience_text(self, session: Any, view: DeadlineView) -> str:
        """The audience of a stored deadline as the form writes it (parse_audience's input)."""
        audience = view.draft.audience
        if audience.kind == "sector":
            return f"nganh:{audience.value}"
        if audience.kind == "submission":
            return f"hoso:{audience.value}"
        if audience.kind == "user" and (audience.value or "").isdigit():
            row = (
                await session.execute(
                    select(_users.c.channel, _users.c.external_id).where(
                        _users.c.id == int(audience.value or 0)
                    )
                )
            ).first()
            return f"nguoi:{row.channel}:{row.external_id}" if row else ""
        return ""

    # --- deadlines ----------------------------------------------------------------------

    async def save(self, request: web.Request) -> web.StreamResponse:
        raw_id = request.match_info.get("id")
        deadline_id = int(raw_id) if raw_id else None
        form = await request.post()
        fields = _fields(form)

        async def act(ctx: Context) -> str:
            try:
                return (await save_deadline(ctx, deadline_id, fields)).text
            except InputError as exc:
                raise _Invalid(exc.message) from None

        try:
            done = await self._run(request, act)
        except _Invalid as exc:
            values = {k: str(form.get(k, "")) for k in
                      ("date", "time", "title", "description", "source", "audience")}  # fmt: skip
            return await self.page(request, error=exc.message, form=values, status=400)
        subject = f"han:{deadline_id}" if deadline_id else "han:new"
        action = "web.deadline_edit" if deadline_id else "web.deadline_add"
        await self._audit(request, action, subject, f"{fields.when} | {fields.title}"[:500])
        raise web.HTTPSeeOther(f"/officer/nhachan?ok={_q(done)}")

    async def delete(self, request: web.Request) -> web.StreamResponse:
        deadline_id = request.match_info["id"]

        async def act(ctx: Context) -> str:
            return "\n".join(r.text for r in await delete_deadline(ctx, deadline_id))

        done = await self._run(request, act)
        await self._audit(request, "web.deadline_delete", f"han:{deadline_id}", done[:500])
        raise web.HTTPSeeOther(f"/officer/nhachan?ok={_q(done)}")

    # --- broadcasts ---------------------------------------------------------------------

    async def _plan(
        self, request: web.Request
    ) -> tuple[BroadcastPreview | None, str, dict[str, str]]:
        form = await request.post()
        composer = {
            "text": str(form.get("text", ""))[:_MAX_TEXT],
            "audience": str(form.get("audience", ""))[:120],
        }

        async def act(ctx: Context) -> BroadcastPreview | str:
            try:
                return await preview_broadcast(ctx, composer["audience"], composer["text"])
            except InputError as exc:
                return exc.message

        planned = await self._run(request, act)
        if isinstance(planned, str):
            return None, planned, composer
        return planned, "", composer

    async def preview(self, request: web.Request) -> web.StreamResponse:
        planned, error, composer = await self._plan(request)
        return await self.page(
            request,
            error=error or None,
            planned=planned,
            composer=composer,
            status=400 if error else 200,
        )

    async def send(self, request: web.Request) -> web.StreamResponse:
        planned, error, composer = await self._plan(request)
        if planned is None:
            return await self.page(request, error=error, composer=composer, status=400)
        audience: Audience = planned.audience

        async def act(ctx: Context) -> tuple[int, str]:
            broadcast_id, count = await queue_broadcast(ctx, audience, planned.text)
            done = ctx.text("rem.officer.bc_queued_web", id=broadcast_id, count=count,
                            audience=describe(ctx, audience))  # fmt: skip
            return broadcast_id, done

        done = await self._run(request, act)
        await self._audit(request, "web.broadcast", f"bc:{done[0]}", planned.text[:500])
        raise web.HTTPSeeOther(f"/officer/nhachan?ok={_q(done[1])}#ket-qua")


class _Invalid(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _q(text: str) -> str:
    from urllib.parse import quote

    return quote(text[:300])
