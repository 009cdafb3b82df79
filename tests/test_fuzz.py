"""Hostile text and payloads through every console flow and `ask` (bench/fuzz.py's engine,
fixed seed, a few dozen examples): 0 crashes, 0 "lỗi hệ thống", 0 empty replies, state intact.
"""

from __future__ import annotations

import asyncio

from bench.fuzz import run_fuzz
from bot.app import build_app


def test_fuzz_console_and_ask(settings, clock):
    loop = asyncio.new_event_loop()
    app = loop.run_until_complete(build_app(settings, clock=clock, migrate=False))
    try:
        tally = run_fuzz(app, loop, examples=30, rng_seed=17)
    finally:
        loop.run_until_complete(app.close())
        loop.close()
    assert tally["examples"] == 30
    assert tally["messages"] > 60
    problems = {k: tally[k] for k in ("crash", "error_reply", "empty_reply", "broken_state")}
    assert problems == dict.fromkeys(problems, 0), tally
