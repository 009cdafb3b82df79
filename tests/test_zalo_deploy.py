"""What docker/Dockerfile, docker/compose.yaml and .env.example promise (no Docker engine here),
and the image's start command run for real against this test's database."""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

from bot.config import Settings

ROOT = Path(__file__).resolve().parent.parent
DOCKER = ROOT / "docker"


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    lines, current = [], ""
    for raw in (DOCKER / "Dockerfile").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        current += line.removesuffix("\\").strip() + " "
        if not line.endswith("\\"):
            keyword, _, rest = current.strip().partition(" ")
            lines.append((keyword.upper(), rest.strip()))
            current = ""
    return lines


def _start_command() -> list[str]:
    [cmd] = [args for keyword, args in _instructions() if keyword == "CMD"]
    return json.loads(cmd)


def _compose() -> dict:
    return yaml.safe_load((DOCKER / "compose.yaml").read_text(encoding="utf-8"))


def test_dockerfile_slim_base_non_root_healthcheck_and_start_command():
    instructions = _instructions()
    keywords = [k for k, _ in instructions]
    assert instructions[0] == ("FROM", "python:3.11-slim")
    users = [args for k, args in instructions if k == "USER"]
    assert users, "the image must switch to an unprivileged user"
    assert users[-1] not in ("root", "0", "0:0")
    assert keywords.index("USER") > max(i for i, k in enumerate(keywords) if k == "RUN")
    [health] = [args for k, args in instructions if k == "HEALTHCHECK"]
    assert "/healthz" in health
    assert "CMD" in health
    cmd = _start_command()
    assert cmd[:2] == ["sh", "-c"]
    steps = [s.strip() for s in cmd[2].split("&&")]
    assert steps == ["python -m bot db upgrade", "exec python -m bot run"]
    for source in ("bot", "handlers", "knowledge", "pyproject.toml"):
        assert any(k == "COPY" and args.startswith(source) for k, args in instructions)


def test_compose_bot_and_postgres_with_volume_and_healthchecks():
    compose = _compose()
    services = compose["services"]
    assert set(services) == {"bot", "db"}
    db, bot = services["db"], services["bot"]
    assert db["image"] == "postgres:16"
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    volume, _, mount = db["volumes"][0].partition(":")
    assert volume in compose["volumes"]
    assert mount == "/var/lib/postgresql/data"
    assert bot["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert bot["build"]["dockerfile"] == "docker/Dockerfile"
    assert (DOCKER / bot["build"]["context"] / bot["build"]["dockerfile"]).is_file()
    assert bot["env_file"] == ["../.env"]
    url = bot["environment"]["BOT_DATABASE_URL"]
    assert url.startswith("postgresql+asyncpg://khuyencong:")
    assert url.endswith("@db:5432/khuyencong")
    assert db["environment"]["POSTGRES_DB"] == "khuyencong"
    assert any(v.endswith(":/app/data") for v in bot["volumes"])
    assert any(p.endswith(":8080") for p in bot["ports"])


def test_env_example_lists_every_setting_with_its_default(monkeypatch, tmp_path):
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    names = {
        line.lstrip("# ").split("=", 1)[0]
        for line in text.splitlines()
        if line.lstrip("# ").startswith("BOT_") and "=" in line
    }
    expected = {f"BOT_{name.upper()}" for name in Settings.model_fields}
    assert expected <= names, sorted(expected - names)
    # Loading the example as it is gives exactly the defaults.
    monkeypatch.chdir(tmp_path)
    example = Settings(_env_file=ROOT / ".env.example")
    defaults = Settings(_env_file=None)
    assert example.model_dump() == defaults.model_dump()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_start_command_migrates_then_serves_healthz(subprocess_env, tmp_path):
    """The container's CMD, run here on the test database (PostgreSQL in the PG run)."""
    pytest.importorskip("bot.http_server", reason="`run` arrives with the Telegram branch")
    port = _free_port()
    env = dict(
        subprocess_env,
        BOT_HTTP_HOST="127.0.0.1",
        BOT_HTTP_PORT=str(port),
        # The source tree under test, whichever checkout pytest runs in.
        PYTHONPATH=str(ROOT),
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    cmd = _start_command()
    assert shlex.split(cmd[2])[:4] == ["python", "-m", "bot", "db"]
    proc = subprocess.Popen(
        cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    status, body = None, b""
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    status, body = r.status, r.read()
                    break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.3)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            _, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
    assert status == 200, err.decode()
    assert json.loads(body)["status"] == "ok"
    assert proc.returncode == 0, err.decode()
