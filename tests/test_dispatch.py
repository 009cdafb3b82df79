"""Ordering, parallelism, dedup and restarts of the dispatcher on a real database."""

import asyncio
import json
import subprocess
import sys

import pytest

from bot.app import build_app
from handlers.capability import Capability
from handlers.core import Core
from handlers.messages import IncomingMessage, Reply


class _Recorder(Capability):
    """Appends every text to the user's state after a pause, to expose interleaving."""

    name = "rec"

    def __init__(self, barrier: asyncio.Barrier | None = None) -> None:
        self.barrier = barrier

    async def start(self, ctx):
        ctx.state.enter(self.name, "on")
        return [Reply("on")]

    async def on_text(self, ctx, text):
        if self.barrier is not None:
            # Only passes when another user's message is being handled at the same time.
            await asyncio.wait_for(self.barrier.wait(), timeout=5)
        seen = ctx.state.bucket(self.name).setdefault("seen", [])
        await asyncio.sleep(0)
        seen.append(text)
        return [Reply(",".join(seen))]


def _use(app, capability):
    app.dispatcher.core = Core([*app.core._caps.values(), capability])


def _msg(user, text=None, payload=None, mid=None):
    kind = "button" if payload else "text"
    return IncomingMessage(
        "telegram", user, user, text=text, payload=payload, message_id=mid, kind=kind
    )


async def test_messages_of_one_user_are_handled_in_order(app):
    _use(app, _Recorder())
    await app.dispatcher.handle(_msg("u1", payload="rec:start"))
    sends = [app.dispatcher.handle(_msg("u1", text=f"{i}")) for i in range(30)]
    results = await asyncio.gather(*sends)
    assert results[-1][0].text == ",".join(str(i) for i in range(30))


async def test_different_users_are_handled_in_parallel(app, is_postgres):
    if not is_postgres:
        pytest.skip("SQLite has a single writer: the dispatcher queues its transactions")
    _use(app, _Recorder(asyncio.Barrier(2)))
    for user in ("a", "b"):
        await app.dispatcher.handle(_msg(user, payload="rec:start"))
    replies = await asyncio.gather(
        app.dispatcher.handle(_msg("a", text="x")), app.dispatcher.handle(_msg("b", text="y"))
    )
    assert [r[0].text for r in replies] == ["x", "y"]


async def test_many_users_concurrently_keep_their_own_order(app):
    _use(app, _Recorder())
    users = [f"user{i}" for i in range(20)]
    await asyncio.gather(*(app.dispatcher.handle(_msg(u, payload="rec:start")) for u in users))
    sends = [app.dispatcher.handle(_msg(u, text=f"{u}-{n}")) for n in range(5) for u in users]
    await asyncio.gather(*sends)
    for user in users:
        last = await app.dispatcher.handle(_msg(user, text="end"))
        assert last[0].text == ",".join([*(f"{user}-{n}" for n in range(5)), "end"])


async def test_the_same_message_id_is_handled_once(app):
    _use(app, _Recorder())
    await app.dispatcher.handle(_msg("u1", payload="rec:start"))
    first = await app.dispatcher.handle(_msg("u1", text="một", mid="77"))
    again = await app.dispatcher.handle(_msg("u1", text="một", mid="77"))
    assert first[0].text == "một"
    assert again == []
    both = await asyncio.gather(
        app.dispatcher.handle(_msg("u1", text="hai", mid="78")),
        app.dispatcher.handle(_msg("u1", text="hai", mid="78")),
    )
    assert sorted(len(r) for r in both) == [0, 1]
    last = await app.dispatcher.handle(_msg("u1", text="ba"))
    assert last[0].text == "một,hai,ba"


async def test_two_instances_on_one_database_do_not_lose_updates(app, settings, clock):
    """Two dispatchers (as two processes would) serve one user: optimistic locking retries."""
    other = await build_app(settings, clock=clock, migrate=False)
    try:
        for instance in (app, other):
            _use(instance, _Recorder())
        await app.dispatcher.handle(_msg("u1", payload="rec:start"))
        sends = [
            (app if i % 2 else other).dispatcher.handle(_msg("u1", text=str(i))) for i in range(10)
        ]
        await asyncio.gather(*sends)
        final = await app.dispatcher.handle(_msg("u1", text="end"))
    finally:
        await other.close()
    seen = final[0].text.split(",")
    assert sorted(seen[:-1], key=int) == [str(i) for i in range(10)]
    assert seen[-1] == "end"


async def test_a_new_app_continues_the_same_conversation(app, settings, clock):
    _use(app, _Recorder())
    await app.dispatcher.handle(_msg("u1", payload="rec:start"))
    await app.dispatcher.handle(_msg("u1", text="trước"))
    await app.close()
    restarted = await build_app(settings, clock=clock, migrate=False)
    try:
        _use(restarted, _Recorder())
        replies = await restarted.dispatcher.handle(_msg("u1", text="sau"))
    finally:
        await restarted.close()
    assert replies[0].text == "trước,sau"


def _chat(env, lines, user="ban-an"):
    done = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--json", "--user", user],
        input="".join(f"{line}\n" for line in lines),
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_console_json_start_prints_the_menu(subprocess_env):
    replies = _chat(subprocess_env, ["/start"])
    assert len(replies) == 1
    assert [b["label"] for b in replies[0]["buttons"]] == [
        "Hỏi đáp khuyến công",
        "Kiểm tra điều kiện",
        "Soạn đề án",
        "Nhắc hạn",
        "Liên hệ cán bộ",
    ]
    assert replies[0]["documents"] == []


def test_console_numbers_and_hash_press_buttons(subprocess_env):
    replies = _chat(subprocess_env, ["/start", "5", "#menu:show", "#khong:co"])
    assert "Sở Công Thương" in replies[1]["text"]
    assert replies[2]["buttons"][0]["payload"] == "menu:faq"
    assert "nút này đã cũ" in replies[3]["text"]


def test_console_plain_mode_numbers_the_buttons(subprocess_env):
    done = subprocess.run(
        [sys.executable, "-m", "bot", "chat"],
        input="/start\n",
        capture_output=True,
        text=True,
        env=subprocess_env,
        timeout=60,
        check=True,
    )
    assert "[1] Hỏi đáp khuyến công" in done.stdout
    assert "[5] Liên hệ cán bộ" in done.stdout


@pytest.mark.parametrize("url_kind", ["fresh-sqlite"])
def test_chat_creates_and_migrates_an_empty_database(tmp_path, subprocess_env, url_kind):
    env = dict(subprocess_env, BOT_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/new/x.db")
    assert _chat(env, ["/start"])[0]["buttons"]
    assert (tmp_path / "new" / "x.db").exists()


async def test_old_inbound_ids_are_pruned(app, clock):
    from datetime import timedelta

    from bot.db.repositories import prune_processed

    await app.dispatcher.handle(_msg("u1", text="/start", mid="old"))
    clock.advance(timedelta(days=8))
    await app.dispatcher.handle(_msg("u1", text="/start", mid="new"))
    async with app.db.transaction() as session:
        assert await prune_processed(session, clock.now()) == 1
    assert await app.dispatcher.handle(_msg("u1", text="/start", mid="new")) == []
