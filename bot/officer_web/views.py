"""Routes and views of the officers' web page (see the package docstring)."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from sqlalchemy import func, select

from bot.app import App
from bot.channels.base import Sender
from bot.db import question_days
from bot.db.models import User
from bot.db.models_faq import AbstainedQuestionRow
from bot.db.models_intake import SubmissionEvent
from bot.db.models_officer import OfficerAudit
from bot.db.repositories import SqlStore
from bot.db.tickets import write_audit
from bot.db.types import table_of
from bot.officer_web import auth
from bot.officer_web.calendar import CalendarPages
from bot.officer_web.charts import bar_chart, paired_bar_chart
from bot.officer_web.examples import add_example
from bot.officer_web.registry import registry, to_csv, to_xlsx
from handlers.context import Context
from handlers.intake_draft import officer_summary
from handlers.messages import Reply
from handlers.submissions import acknowledge, may_act, send_back
from handlers.tickets import (
    OPEN_STATUSES,
    answer_ticket,
    open_ticket_for_owner,
    ticket_ref,
    visible_ticket,
)
from knowledge.formatting import format_money

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
SESSION_KEY = web.RequestKey("officer_session", auth.OfficerSessionInfo)
_PUBLIC = ("/officer/signin", "/officer/static/")
_events = table_of(SubmissionEvent)
_abstained = table_of(AbstainedQuestionRow)
_audit = table_of(OfficerAudit)
_users = table_of(User)
STATUS_LABELS = {
    "new": "mới",
    "in_progress": "đang xử lý",
    "answered": "đã trả lời",
    "closed": "đóng",
}

_WEEKS = 12  # weeks of the answered-vs-abstained chart
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def build_officer_app(app: App, senders: Mapping[str, Sender]) -> web.Application:
    """The `/officer/` sub-application (mount with `add_subapp("/officer/", …)`)."""
    officer = OfficerWeb(app, senders)
    sub = web.Application(middlewares=[officer.session_middleware])
    aiohttp_jinja2.setup(
        sub,
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
    )
    sub.add_routes(
        [
            web.get("/signin", officer.signin_page),
            web.post("/signin/code", officer.request_code),
            web.post("/signin/verify", officer.verify_code),
            web.post("/signout", officer.signout),
            web.get("/", officer.overview),
            web.get("/hoso", officer.dossiers),
            web.get("/hoso/{id:\\d+}", officer.dossier),
            web.get("/hoso/{id:\\d+}/docx", officer.dossier_docx),
            web.post("/hoso/{id:\\d+}/{action:ack|more|rej}", officer.dossier_action),
            web.get("/hopthu", officer.inbox),
            web.get("/hopthu/{id:\\d+}", officer.ticket),
            web.post("/hopthu/{id:\\d+}/reply", officer.ticket_reply),
            web.get("/cauhoi", officer.questions),
            web.post("/cauhoi/assign", officer.assign_question),
            web.post("/cauhoi/ticket", officer.ticket_from_question),
            web.get("/coso", officer.establishments),
            web.get("/coso.{fmt:csv|xlsx}", officer.establishments_export),
            web.static("/static", HERE / "static"),
        ]
    )
    sub.add_routes(CalendarPages(officer).routes())
    return sub


class OfficerWeb:
    def __init__(self, app: App, senders: Mapping[str, Sender]) -> None:
        self.app, self.senders = app, senders
        secret = app.settings.web_secret
        self.signer = auth.Signer(secret.get_secret_value().encode() if secret else None)
        self.limiter = auth.ClientLimiter()
        self.secure = (app.settings.public_url or "").startswith("https://")

    # --- sessions, CSRF -----------------------------------------------------------------

    @web.middleware
    async def session_middleware(self, request: web.Request, handler: Handler) -> Any:
        path = request.path
        info = await self._session(request)
        if info is not None:
            request[SESSION_KEY] = info
        if path.startswith(_PUBLIC):
            return await handler(request)
        if info is None:
            if request.method == "GET":
                raise web.HTTPSeeOther("/officer/signin")
            raise web.HTTPUnauthorized(text="Cần đăng nhập.")
        if request.method == "POST":
            form = await request.post()
            if form.get("csrf") != info.csrf:
                raise web.HTTPForbidden(text="Thiếu hoặc sai mã chống giả mạo (CSRF).")
        response = await handler(request)
        response.headers["Cache-Control"] = "no-store"
        return response

    async def _session(self, request: web.Request) -> auth.OfficerSessionInfo | None:
        raw = request.cookies.get(auth.COOKIE)
        token = self.signer.unsign(raw) if raw else None
        if token is None:
            return None
        async with self.app.db.transaction() as session:
            return await auth.find_session(
                session, token, self.app.clock.now(), self.app.settings.officer_ids
            )

    async def _audit(
        self, info: auth.OfficerSessionInfo, action: str, subject: str, detail: str | None = None
    ) -> None:
        async with self.app.db.transaction() as session:
            await write_audit(
                session, info.officer_id, action, subject, detail, self.app.clock.now()
            )

    async def _as_officer(
        self, request: web.Request, action: Callable[[Context], Awaitable[list[Reply]]]
    ) -> str:
        info = request[SESSION_KEY]
        replies = await self.app.dispatcher.run_as(info.channel, info.external_id, action)
        return "\n".join(r.text for r in replies)

    # --- sign-in ------------------------------------------------------------------------

    async def signin_page(self, request: web.Request) -> web.StreamResponse:
        if request.get(SESSION_KEY) is not None:
            raise web.HTTPSeeOther("/officer/")
        return self._render(request, "signin.html", {"step": "id"})

    async def request_code(self, request: web.Request) -> web.StreamResponse:
        now = self.app.clock.now()
        form = await request.post()
        officer_id = str(form.get("officer_id", "")).strip().replace(" ", "")[:100]
        if not self.limiter.allow(request.remote or "?", now):
            return self._render(
                request,
                "signin.html",
                {"step": "id", "error": "Quá nhiều lần thử. Anh/chị đợi ít phút rồi thử lại."},
                status=429,
            )
        if officer_id in self.app.settings.officer_ids:
            async with self.app.db.transaction() as session:
                if await auth.codes_recently(session, officer_id, now) >= auth.CODES_PER_WINDOW:
                    return self._render(
                        request,
                        "signin.html",
                        {"step": "id", "error": "Quá nhiều mã đã gửi. Anh/chị đợi ít phút."},
                        status=429,
                    )
                code = await auth.new_code(session, officer_id, now)
            channel, _, chat_id = officer_id.partition(":")
            sender = self.senders.get(channel)
            text = (
                f"Mã đăng nhập trang cán bộ khuyến công: {code}\n"
                f"Mã dùng một lần, hết hạn sau {int(auth.CODE_TTL.total_seconds() // 60)} "
                "phút. Nếu anh/chị không yêu cầu, hãy bỏ qua tin này."
            )
            if sender is not None:
                try:
                    await sender.send(chat_id, Reply(text))
                except Exception:  # noqa: BLE001 - the page answers the same either way
                    log.warning("sign-in code not delivered on %s", channel, exc_info=True)
            else:
                log.warning("no running channel %s for a sign-in code", channel)
        # The same answer whether or not the id may sign in.
        return self._render(request, "signin.html", {"step": "code", "officer_id": officer_id})

    async def verify_code(self, request: web.Request) -> web.StreamResponse:
        now = self.app.clock.now()
        form = await request.post()
        officer_id = str(form.get("officer_id", "")).strip()[:100]
        code = str(form.get("code", "")).strip()[:12]
        if not self.limiter.allow(request.remote or "?", now):
            return self._render(
                request,
                "signin.html",
                {"step": "code", "officer_id": officer_id, "error": "Quá nhiều lần thử."},
                status=429,
            )
        ok = False
        if officer_id in self.app.settings.officer_ids and code.isdigit():
            async with self.app.db.transaction() as session:
                ok = await auth.redeem_code(session, officer_id, code, now)
                token = await auth.open_session(session, officer_id, now) if ok else ""
                if ok:
                    await write_audit(session, officer_id, "web.signin", officer_id, None, now)
        if not ok:
            return self._render(
                request,
                "signin.html",
                {
                    "step": "code",
                    "officer_id": officer_id,
                    "error": "Mã không đúng hoặc đã hết hạn.",
                },
                status=403,
            )
        response = web.HTTPSeeOther("/officer/")
        response.set_cookie(
            auth.COOKIE,
            self.signer.sign(token),
            max_age=int(auth.SESSION_TTL.total_seconds()),
            path="/officer/",
            httponly=True,
            samesite="Strict",
            secure=self.secure,
        )
        raise response

    async def signout(self, request: web.Request) -> web.StreamResponse:
        info = request[SESSION_KEY]
        async with self.app.db.transaction() as session:
            await auth.revoke(session, info.token_hash, self.app.clock.now())
            await write_audit(
                session,
                info.officer_id,
                "web.signout",
                info.officer_id,
                None,
                self.app.clock.now(),
            )
        response = web.HTTPSeeOther("/officer/signin")
        response.del_cookie(auth.COOKIE, path="/officer/")
        raise response

    # --- pages --------------------------------------------------------------------------

    def _render(
        self, request: web.Request, name: str, context: dict[str, Any], status: int = 200
    ) -> web.Response:
        info = request.get(SESSION_KEY)
        context = {
            "officer": info,
            "csrf": info.csrf if info else "",
            "path": request.path,
            **context,
        }
        response = aiohttp_jinja2.render_template(name, request, context, status=status)
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'"
        )
        response.headers["X-Frame-Options"] = "DENY"
        return response

    async def overview(self, request: web.Request) -> web.StreamResponse:
        kb, tz = self.app.kb, self.app.settings.tz
        async with self.app.db.transaction() as session:
            store = SqlStore(session, self.app.clock.now())
            records = await store.submissions.by_status(None, limit=100_000)
            open_tickets = await store.tickets.queue(OPEN_STATUSES, limit=1000)
            abstained: int = (
                await session.execute(select(func.coalesce(func.sum(_abstained.c.count), 0)))
            ).scalar_one()
            today = self.app.clock.now().astimezone(tz).date()
            weeks = await question_days.per_week(session, today - timedelta(weeks=_WEEKS - 1))
            answered_total, _ = await question_days.totals(session)
        rows = registry(kb, records)
        per_month = Counter(r.created_at.astimezone(tz).strftime("%m/%Y") for r in records)
        months = sorted(per_month, key=lambda m: (m[3:], m[:2]))
        per_sector = Counter(e.sector or "(chưa rõ)" for e in rows)
        per_support = Counter(e.support_type or "(chưa rõ)" for e in rows)
        asked = sum(e.requested or 0 for e in rows)
        counterpart = sum(e.counterpart or 0 for e in rows)
        charts = [
            bar_chart("Hồ sơ theo tháng", [(m, per_month[m]) for m in months]),
            bar_chart("Hồ sơ theo ngành nghề", per_sector.most_common(8)),
            bar_chart("Hồ sơ theo nội dung hỗ trợ", per_support.most_common(8)),
            bar_chart(
                "Kinh phí (triệu đồng)",
                [("Đề nghị hỗ trợ", asked / 1e6), ("Vốn đối ứng", counterpart / 1e6)],
            ),
            paired_bar_chart(
                f"Câu hỏi theo tuần ({_WEEKS} tuần gần nhất)",
                [(f"Tuần {monday:%d/%m}", a, b) for monday, a, b in weeks],
                ("Bot trả lời được", "Chưa trả lời được"),
            ),
        ]
        figures = [
            ("Hồ sơ", len(records)),
            ("Chờ tiếp nhận", sum(r.status == "submitted" for r in records)),
            ("Câu hỏi cán bộ đang chờ", len(open_tickets)),
            ("Lượt hỏi bot trả lời được", answered_total),
            ("Lượt hỏi chưa trả lời được", abstained),
            ("Đề nghị hỗ trợ", format_money(asked) if asked else "0 đồng"),
        ]
        return self._render(request, "overview.html", {"figures": figures, "charts": charts})

    async def dossiers(self, request: web.Request) -> web.StreamResponse:
        q = request.query
        kb = self.app.kb
        async with self.app.db.transaction() as session:
            store = SqlStore(session, self.app.clock.now())
            status = q.get("status") or None
            records = await store.submissions.by_status(status, limit=500)
        rows = [(r, e) for r, e in zip(records, [_est(kb, r) for r in records], strict=True)]
        for key, attr in (
            ("sector", "sector"),
            ("commune", "commune"),
            ("support", "support_type"),
        ):
            value = q.get(key, "").strip().lower()
            if value:
                rows = [(r, e) for r, e in rows if value in getattr(e, attr).lower()]
        since = _date(q.get("from"))
        if since is not None:
            tz = self.app.settings.tz
            rows = [(r, e) for r, e in rows if r.created_at.astimezone(tz).date() >= since]
        labels = {
            s: kb.ui.text(f"sub.status.{s}")
            for s in ("submitted", "acknowledged", "needs_info", "rejected")
        }
        return self._render(
            request,
            "dossiers.html",
            {"rows": rows, "q": q, "labels": labels, "tz": self.app.settings.tz},
        )

    async def _record(self, request: web.Request) -> Any:
        async with self.app.db.transaction() as session:
            record = await SqlStore(session, self.app.clock.now()).submissions.get(
                int(request.match_info["id"])
            )
            events = (
                []
                if record is None
                else list(
                    await session.execute(
                        select(_events)
                        .where(_events.c.submission_id == record.id)
                        .order_by(_events.c.id)
                    )
                )
            )
        if record is None:
            raise web.HTTPNotFound(text="Không có hồ sơ này.")
        return record, events

    async def dossier(self, request: web.Request) -> web.StreamResponse:
        record, events = await self._record(request)
        kb = self.app.kb

        async def summary(ctx: Context) -> list[Reply]:
            return [Reply(line) for line in officer_summary(ctx, kb.intake_form, record.answers)]

        lines = (await self._as_officer(request, summary)).splitlines()
        return self._render(
            request,
            "dossier.html",
            {
                "r": record,
                "lines": lines,
                "events": events,
                "tz": self.app.settings.tz,
                "status": kb.ui.text(f"sub.status.{record.status}"),
                "labels": {
                    s: kb.ui.text(f"sub.status.{s}")
                    for s in ("submitted", "acknowledged", "needs_info", "rejected")
                },
                "can": {a: may_act(record, a) for a in ("ack", "more", "rej")},
                "flash": request.query.get("ok"),
            },
        )

    async def dossier_docx(self, request: web.Request) -> web.StreamResponse:
        record, _ = await self._record(request)
        if not record.draft_path or not await asyncio.to_thread(Path(record.draft_path).exists):
            raise web.HTTPNotFound(text="Hồ sơ chưa có bản nháp.")
        await self._audit(request[SESSION_KEY], "web.dossier_docx", f"HS-{record.id}")
        return web.FileResponse(
            record.draft_path,
            headers={"Content-Disposition": f'attachment; filename="ho-so-{record.id}.docx"'},
        )

    async def dossier_action(self, request: web.Request) -> web.StreamResponse:
        record, _ = await self._record(request)
        action = request.match_info["action"]
        note = str((await request.post()).get("note", "")).strip()[:2000]

        async def act(ctx: Context) -> list[Reply]:
            fresh = await ctx.store.submissions.get(record.id)
            assert fresh is not None
            if action == "ack":
                if not may_act(fresh, "ack"):
                    return [Reply("Hồ sơ không còn ở trạng thái chờ tiếp nhận.")]
                return await acknowledge(ctx, fresh)
            return await send_back(ctx, fresh, action, note)

        text = await self._as_officer(request, act)
        await self._audit(request[SESSION_KEY], f"web.dossier_{action}", f"HS-{record.id}", note)
        raise web.HTTPSeeOther(f"/officer/hoso/{record.id}?ok={_q(text)}")

    async def inbox(self, request: web.Request) -> web.StreamResponse:
        show = request.query.get("status", "open")
        statuses = OPEN_STATUSES if show == "open" else tuple(STATUS_LABELS)
        async with self.app.db.transaction() as session:
            tickets = await SqlStore(session, self.app.clock.now()).tickets.queue(statuses, 500)
        return self._render(
            request,
            "inbox.html",
            {
                "tickets": tickets,
                "show": show,
                "labels": STATUS_LABELS,
                "ref": ticket_ref,
                "tz": self.app.settings.tz,
            },
        )

    async def ticket(self, request: web.Request) -> web.StreamResponse:
        ticket_id = int(request.match_info["id"])

        found: list[Any] = []

        async def load(ctx: Context) -> list[Reply]:
            found.append(await visible_ticket(ctx, ticket_id))
            return []

        await self._as_officer(request, load)
        ticket = found[0] if found else None
        if ticket is None:
            raise web.HTTPNotFound(text="Không có câu hỏi này.")
        return self._render(
            request,
            "ticket.html",
            {
                "t": ticket,
                "ref": ticket_ref,
                "labels": STATUS_LABELS,
                "tz": self.app.settings.tz,
                "flash": request.query.get("ok"),
            },
        )

    async def ticket_reply(self, request: web.Request) -> web.StreamResponse:
        ticket_id = int(request.match_info["id"])
        text = str((await request.post()).get("text", "")).strip()[:3000]

        async def reply(ctx: Context) -> list[Reply]:
            found = await visible_ticket(ctx, ticket_id)
            if found is None:
                return [Reply("Không có câu hỏi này.")]
            return await answer_ticket(ctx, found, text)

        done = await self._as_officer(request, reply)
        raise web.HTTPSeeOther(f"/officer/hopthu/{ticket_id}?ok={_q(done)}")

    async def questions(self, request: web.Request) -> web.StreamResponse:
        async with self.app.db.transaction() as session:
            rows = list(
                await session.execute(
                    select(
                        _abstained.c.id,
                        _abstained.c.asked_by,
                        _abstained.c.key,
                        _abstained.c.text,
                        _abstained.c.count,
                        _abstained.c.last_seen_at,
                    )
                    .order_by(_abstained.c.count.desc(), _abstained.c.last_seen_at.desc())
                    .limit(200)
                )
            )
        groups = _cluster(rows)
        topics = [(t.id, t.title) for t in self.app.kb.topics]
        return self._render(
            request,
            "questions.html",
            {
                "groups": groups,
                "topics": topics,
                "tz": self.app.settings.tz,
                "flash": request.query.get("ok"),
            },
        )

    async def assign_question(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        topic, text = str(form.get("topic", "")), str(form.get("text", "")).strip()
        info = request[SESSION_KEY]
        if not text or topic not in self.app.kb.topics:
            raise web.HTTPBadRequest(text="Chọn một chủ đề và một câu hỏi.")
        await add_example(self.app, topic, text, info.officer_id)
        await self._audit(info, "web.assign_topic", topic, text)
        title = self.app.kb.topics[topic].title
        raise web.HTTPSeeOther(f"/officer/cauhoi?ok={_q(f'Đã gán vào chủ đề: {title}')}")

    async def ticket_from_question(self, request: web.Request) -> web.StreamResponse:
        """Open a ticket for whoever last asked this unanswered question, so an officer
        answers them personally (the answer reaches them through the outbox)."""
        raw = str((await request.post()).get("id", ""))
        if not raw.isdigit():
            raise web.HTTPBadRequest(text="Thiếu câu hỏi.")
        async with self.app.db.transaction() as session:
            row = (
                await session.execute(
                    select(_abstained.c.text, _abstained.c.count.label("asked"), _users.c.id,
                           _users.c.channel, _users.c.external_id, _users.c.display_name)
                    .join(_users, _users.c.id == _abstained.c.asked_by)
                    .where(_abstained.c.id == int(raw))
                )
            ).first()  # fmt: skip
        if row is None:
            raise web.HTTPNotFound(
                text="Không rõ ai đã hỏi câu này (hoặc người hỏi đã xóa dữ liệu)."
            )

        async def act(ctx: Context) -> list[Reply]:
            ticket_id = await open_ticket_for_owner(
                ctx, user_id=row.id, owner_target=f"{row.channel}:{row.external_id}",
                owner_name=row.display_name, question=row.text, asked_times=row.asked,
            )  # fmt: skip
            return [Reply(str(ticket_id))]

        ticket_id = int(await self._as_officer(request, act))
        info = request[SESSION_KEY]
        await self._audit(info, "web.ticket_from_question", ticket_ref(ticket_id), row.text)
        note = f"Đã mở {ticket_ref(ticket_id)} cho người hỏi; câu trả lời sẽ gửi tới họ."
        raise web.HTTPSeeOther(f"/officer/hopthu/{ticket_id}?ok={_q(note)}")

    async def establishments(self, request: web.Request) -> web.StreamResponse:
        rows = await self._registry()
        return self._render(
            request,
            "establishments.html",
            {"rows": rows, "tz": self.app.settings.tz, "money": format_money},
        )

    async def establishments_export(self, request: web.Request) -> web.StreamResponse:
        fmt = request.match_info["fmt"]
        rows = [
            e.row(self.app.kb.ui.text(f"sub.status.{e.status}"), self.app.settings.tz)
            for e in await self._registry()
        ]
        await self._audit(request[SESSION_KEY], f"web.export_{fmt}", "coso")
        stamp = self.app.clock.now().astimezone(self.app.settings.tz).strftime("%d-%m-%Y")
        name = f"co-so-cnnt_{stamp}.{fmt}"
        body, ctype = (
            (to_xlsx(rows), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            if fmt == "xlsx"
            else (to_csv(rows), "text/csv; charset=utf-8")
        )
        return web.Response(
            body=body,
            content_type=ctype.split(";")[0],
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    async def _registry(self) -> list[Any]:
        async with self.app.db.transaction() as session:
            records = await SqlStore(session, self.app.clock.now()).submissions.by_status(
                None, limit=100_000
            )
        return registry(self.app.kb, records)


def _est(kb: Any, record: Any) -> Any:
    from bot.officer_web.registry import establishment

    return establishment(kb, record)


def _date(raw: str | None) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def _q(text: str) -> str:
    from urllib.parse import quote

    return quote(text[:300])


def _cluster(rows: list[Any]) -> list[dict[str, Any]]:
    """Group abstained questions whose normalised keys share most words (Jaccard ≥ 0.5);
    the stored key is already folded and abbreviation-expanded (knowledge/search)."""
    groups: list[dict[str, Any]] = []
    for row in rows:
        words = set(row.key.split())
        for group in groups:
            inter = len(words & group["words"])
            union = len(words | group["words"]) or 1
            if inter / union >= 0.5:
                group["items"].append(row)
                group["count"] += row.count
                break
        else:
            groups.append({"words": words, "items": [row], "count": row.count})
    return sorted(groups, key=lambda g: -g["count"])
