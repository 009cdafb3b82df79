"""Channels as packages: one interface, one registry, no channel importing another.

The `echo` channel below is the recipe of docs/channels.md in miniature: it is defined here,
added to the registry with `with_channels`, and nothing outside it is edited, yet `run`'s
service serves its webhook, reports its health and pushes outbox rows through its sender.
"""

from __future__ import annotations

import ast
import asyncio
import json
from datetime import datetime
from pathlib import Path

import aiohttp
from aiohttp import web

from bot.channels.base import Channel, ChannelDeps, ChannelSpec, Pace
from bot.channels.registry import CHANNELS, with_channels
from bot.db.repositories import SqlStore
from bot.service import build_service
from handlers.messages import Attachment, Document, IncomingMessage, Reply, Target

CHANNELS_DIR = Path(__file__).resolve().parent.parent / "bot" / "channels"


class EchoChannel:
    """A web-chat-like channel: `POST /webhooks/echo {"user": …, "text": …}` → the replies."""

    name = "echo"
    pace = Pace(per_second=100)

    def __init__(self, deps: ChannelDeps) -> None:
        self.deps = deps
        self.sender = self  # pushes land in `pushed`
        self.channel = "echo"
        self.pushed: list[tuple[str, Reply]] = []
        self.started = self.stopped = False
        self.upkeep: list[datetime] = []

    async def send(self, chat_id: str, reply: Reply) -> None:
        self.pushed.append((chat_id, reply))

    def routes(self) -> list[web.RouteDef]:
        return [web.post("/webhooks/echo", self._webhook)]

    def health(self) -> dict[str, str]:
        return {"echo": "on"}

    async def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        self.stopped = True

    async def housekeeping(self, now: datetime) -> None:
        self.upkeep.append(now)

    async def _webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        message = IncomingMessage("echo", body["user"], body["user"], text=body["text"])
        replies = await self.deps.handle(message)
        return web.json_response([r.to_dict() for r in replies])


ECHO = ChannelSpec(name="echo", pace=EchoChannel.pace, build=EchoChannel)


def test_registry_lists_each_channel_once_and_echo_can_be_added():
    names = [spec.name for spec in CHANNELS]
    assert names == ["console", "telegram", "zalo"]
    assert [s.name for s in with_channels(ECHO)] == [*names, "echo"]
    faster = ChannelSpec(name="zalo", pace=Pace(per_second=99), build=lambda deps: None)
    assert with_channels(faster)[2] is faster, "an entry of the same name is replaced"


async def test_echo_channel_is_served_and_pushed_to_without_other_edits(settings, app):
    service = build_service(settings, app, channels=with_channels(ECHO))
    echo = service.channels["echo"]
    assert isinstance(echo, Channel)
    assert set(service.channels) == {"echo"}, "console needs a terminal; telegram/zalo no keys"
    service.outbox_seconds = 0.05
    async with app.db.transaction() as session:
        await SqlStore(session, app.clock.now()).outbox.enqueue(
            key="echo-1",
            target=Target("echo", "u7"),
            reply=Reply("Dạ, nhắc"),
            due_at=app.clock.now(),
        )
    await service.start("127.0.0.1", 0)
    try:
        base = f"http://127.0.0.1:{service.port}"
        async with aiohttp.ClientSession() as http:
            start = {"user": "u7", "text": "/start"}
            async with http.post(f"{base}/webhooks/echo", json=start) as r:
                replies = await r.json()
            async with http.get(f"{base}/healthz") as r:
                health = await r.json()
        for _ in range(100):
            if echo.pushed:
                break
            await asyncio.sleep(0.05)
        await service._housekeeping()
    finally:
        await service.stop()
    assert replies[0]["text"].startswith("Dạ, em chào")
    assert (health["echo"], health["telegram"]) == ("on", "off")
    assert [(chat, reply.text) for chat, reply in echo.pushed] == [("u7", "Dạ, nhắc")]
    assert (echo.started, echo.stopped, len(echo.upkeep)) == (True, True, 1)


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _cross_imports(root: Path) -> list[str]:
    packages = sorted(p.name for p in root.iterdir() if (p / "__init__.py").exists())
    found = []
    for package in packages:
        others = [f"bot.channels.{o}" for o in packages if o != package]
        for path in (root / package).rglob("*.py"):
            for name in _imported_modules(path):
                if any(name == o or name.startswith(f"{o}.") for o in others):
                    found.append(f"{path.relative_to(root)}: {name}")
    return found


def test_no_channel_package_imports_another():
    assert _cross_imports(CHANNELS_DIR) == []


def test_the_cross_import_check_would_notice_one(tmp_path):
    for name in ("alpha", "beta"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text("")
    (tmp_path / "alpha" / "out.py").write_text("from bot.channels.beta import client\n")
    (tmp_path / "beta" / "ok.py").write_text("from bot.channels.base import Sender\n")
    assert sorted(_cross_imports(tmp_path)) == [
        "alpha/out.py: bot.channels.beta",
        "alpha/out.py: bot.channels.beta.client",
    ]


def test_attachments_are_typed_and_old_prefixed_strings_still_read():
    stored = {
        "text": "Dạ, cơ sở gửi thêm tệp:",
        "documents": [
            {"path": "telegram-file:AgAD", "name": "photo-1"},
            {"path": "zalo-file:https://z/a.jpg", "name": "photo-2"},
            {"path": "zalo-location:21.0,105.8", "name": "location-3"},
            {"path": "geo:21.0,105.8", "name": "location-4"},
            {"path": "/data/drafts/de_an.docx", "name": "de_an.docx"},
        ],
    }
    documents = Reply.from_dict(stored).documents
    assert [d.attachment for d in documents] == [
        Attachment("telegram", "file", "AgAD"),
        Attachment("zalo", "file", "https://z/a.jpg"),
        Attachment("zalo", "location", "21.0,105.8"),
        Attachment("telegram", "location", "21.0,105.8"),
        None,
    ]
    assert documents[-1].path == "/data/drafts/de_an.docx"
    new = Reply("Dạ", documents=(Document(Attachment("zalo", "photo", "https://z/b.jpg"), "p"),))
    again = Reply.from_dict(json.loads(json.dumps(new.to_dict())))
    assert again == new
    assert set(new.to_dict()["documents"][0]) == {"path", "name", "attachment"}
