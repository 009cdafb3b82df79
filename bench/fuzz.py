"""Hostile-input fuzzing of the console flows and `ask`: counts of crashes, "lỗi hệ thống"
replies, empty replies and broken states (all should be 0).

Each example is one fresh user doing a few actions: typing hostile text (unusual digits,
huge numbers, control and bidi characters, surrogates removed, emoji, 5,000 characters),
pressing a button of the latest reply (walks every flow), pressing a forged payload (a real
prefix and verb with a hostile argument), or typing a command with a hostile argument. After
the actions `/menu` must still answer (the state is intact). `ask` gets the same texts.

    python bench/fuzz.py [--examples 2000] [--seed 17]

tests/test_fuzz.py runs the same engine with a fixed seed and a few dozen examples.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from bot.app import App, build_app
from bot.cli import ask_one
from bot.config import Settings
from handlers.messages import IncomingMessage, Reply

ODD = [
    "²", "١٢", "①", "９", "9" * 40, "-1", "1.5", "0", "#" + "9" * 19, "1e9", "０x1F",
    "\u202e12", "1\u200b2", "\x00", "\ufeff", "𝟙𝟚", "٣", "१२", "NaN", "∞", "%s", "{id}",
]  # fmt: skip
PREFIXES = ["menu", "faq", "elig", "intake", "sub", "rem"]
VERBS = [
    "start", "show", "contact", "t", "more", "a", "ok", "retry", "back", "resume", "ans",
    "edit", "skip", "submit", "revise", "consent_yes", "erase_yes", "erase_no", "cancel_yes",
    "ack", "more", "rej", "open", "mine", "sub", "unsub", "done", "snooze", "add", "add_ok",
    "bc_ok", "intake", "faq", "elig", "rem",
]  # fmt: skip
COMMANDS = [
    "start", "menu", "huy", "giup", "hoso", "xoadulieu", "nhachan", "xemhoso", "dshoso",
    "suahan", "xoahan", "ketquaphat", "cauhoi", "hanmoi", "phatthanh", "khong_co",
]  # fmt: skip
ERROR_MARK = "đang gặp sự cố"

_safe_text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), min_size=0, max_size=60)
hostile_text = st.one_of(
    _safe_text,
    st.sampled_from(ODD),
    st.builds(lambda a, b: a + b, st.sampled_from(ODD), _safe_text),
    st.sampled_from(["x" * 5000, "😀" * 50, "nhắc tôi ngày 31/2 " + "9" * 30, "\n\r\t", " "]),
    st.sampled_from(["hỗ trợ máy móc bao nhiêu", "htx co dc ko", "có", "không", "3", "1/3/2027"]),
)
action = st.one_of(
    st.tuples(st.just("say"), hostile_text),
    st.tuples(st.just("pick"), st.integers(0, 12)),
    st.tuples(st.just("press"), st.tuples(st.sampled_from(PREFIXES), st.sampled_from(VERBS),
                                          hostile_text)),  # fmt: skip
    st.tuples(st.just("command"), st.tuples(st.sampled_from(COMMANDS), hostile_text)),
    st.tuples(st.just("enter"), st.sampled_from(["menu:intake", "menu:elig", "menu:rem",
                                                  "menu:faq", "intake:consent_yes"])),
)  # fmt: skip
actions = st.lists(action, min_size=1, max_size=8)


class Tally(Counter[str]):
    def problems(self) -> int:
        return self["crash"] + self["error_reply"] + self["empty_reply"] + self["broken_state"]


_users = itertools.count(1)


def _check(tally: Tally, replies: list[Reply], what: str) -> None:
    tally["messages"] += 1
    if not replies or not any(r.text.strip() or r.documents for r in replies):
        tally["empty_reply"] += 1
        tally.setdefault(f"empty: {what[:60]!r}", 0)
    elif any(ERROR_MARK in r.text for r in replies):
        tally["error_reply"] += 1


async def drive(app: App, steps: list[tuple[str, Any]], tally: Tally) -> None:
    """One fresh console user performs `steps`; every reply and the final state are checked."""
    user = f"fuzz-{next(_users)}"
    last: list[Reply] = []
    officer = next(_users) % 5 == 0  # some examples run as the console officer
    user = "officer" if officer else user

    async def send(message: IncomingMessage, what: str) -> None:
        nonlocal last
        try:
            replies = await app.dispatcher.handle(message)
        except Exception:  # noqa: BLE001 - counted: a crash is what we look for
            tally["crash"] += 1
            return
        _check(tally, replies, what)
        last = replies

    for n, (kind, value) in enumerate(steps):
        mid = f"{user}-{time.monotonic_ns()}-{n}"
        if kind == "say":
            await send(IncomingMessage("console", user, user, text=value, message_id=mid), value)
        elif kind == "command":
            text = f"/{value[0]} {value[1]}"
            await send(IncomingMessage("console", user, user, text=text, message_id=mid), text)
        else:
            if kind == "pick":
                buttons = [b for r in last for b in r.buttons]
                if not buttons:
                    continue
                payload = buttons[value % len(buttons)].payload
            elif kind == "press":
                payload = ":".join(value)
            else:
                payload = value
            message = IncomingMessage(
                "console", user, user, payload=payload, kind="button", message_id=mid
            )
            await send(message, payload)
    try:
        after = await app.dispatcher.handle(
            IncomingMessage(
                "console", user, user, text="/menu", message_id=f"{user}-end-{time.monotonic_ns()}"
            )
        )
    except Exception:  # noqa: BLE001
        tally["crash"] += 1
        return
    if not after or not after[0].text.startswith("Dạ"):
        tally["broken_state"] += 1


def ask_checks(app: App, text: str, tally: Tally) -> None:
    tally["asked"] += 1
    try:
        line = json.dumps(ask_one(app.kb, text), ensure_ascii=False)
        line.encode("utf-8")
    except Exception:  # noqa: BLE001
        tally["crash"] += 1


def run_fuzz(app: App, loop: asyncio.AbstractEventLoop, examples: int, rng_seed: int) -> Tally:
    """Run `examples` hypothesis examples (fixed seed) against `app` on `loop`."""
    tally = Tally()

    @seed(rng_seed)
    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(actions, hostile_text)
    def one(steps: list[tuple[str, Any]], question: str) -> None:
        tally["examples"] += 1
        loop.run_until_complete(drive(app, steps, tally))
        ask_checks(app, question, tally)

    one()
    return tally


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp())
    config = Settings(
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{directory / 'fuzz.db'}",
        data_dir=directory / "data",
        officer_ids="console:officer",
    )
    loop = asyncio.new_event_loop()
    app = loop.run_until_complete(build_app(config))
    started = time.perf_counter()
    try:
        tally = run_fuzz(app, loop, args.examples, args.seed)
    finally:
        loop.run_until_complete(app.close())
        loop.close()
    elapsed = time.perf_counter() - started
    print(f"examples {tally['examples']}, messages {tally['messages']}, ask {tally['asked']}, "
          f"{elapsed:.1f} s")  # fmt: skip
    for key in ("crash", "error_reply", "empty_reply", "broken_state"):
        print(f"{key}: {tally[key]}")
    raise SystemExit(1 if tally.problems() else 0)


if __name__ == "__main__":
    main()
