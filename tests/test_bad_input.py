"""Hostile input: unusual digits, huge numbers, odd line separators, invalid UTF-8."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

from bot.channels.console.io import to_message
from bot.channels.zalo.repository import numbered_payload
from bot.cli import read_questions
from handlers.messages import Button
from tests.transcript import Chat

ROOT = Path(__file__).resolve().parents[1]
ODD_NUMBERS = ("²", "١", "①", "9" * 40, "-1", "1.5", "0", "１" * 30, "#" + "9" * 19, "١٢")
# NFKC reads these as the ASCII digit they show: a button number, not an error.
READ_AS_DIGITS = ("²", "①")


def test_read_questions_splits_on_newline_only():
    raw = "câu một\x0cvẫn câu một\r\ncâu\u2028hai\n\xff\n".encode() + b"\xff\xfe bad\n"
    assert read_questions(io.BytesIO(raw)) == [
        "câu một\x0cvẫn câu một", "câu\u2028hai", "\xff", "\ufffd\ufffd bad",
    ]  # fmt: skip


def test_ask_json_keeps_one_line_per_question_and_valid_utf8(subprocess_env):
    stdin = "hỗ trợ máy móc bao nhiêu\x0cnha\nhtx\u2028co dc ko\n".encode() + b"\xed\xa0\x80x\n"
    done = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--json", "-"],
        cwd=ROOT, env=subprocess_env, input=stdin, capture_output=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.decode("utf-8").split("\n")
    assert lines[-1] == ""
    assert len([json.loads(line) for line in lines[:-1]]) == 3


def test_console_and_zalo_numbers_never_crash():
    buttons = (Button("Một", "menu:faq"), Button("Hai", "menu:intake"))
    remembered = [{"label": b.label, "payload": b.payload} for b in buttons]
    assert to_message("２", "u", buttons).payload == "menu:intake"
    assert numbered_payload(remembered, "²") == "menu:intake"
    for odd in ODD_NUMBERS:
        message = to_message(odd, "u", buttons)
        if not odd.startswith("#"):  # "#PAYLOAD" presses a payload by design (console only)
            assert message.payload is None or message.payload.startswith("menu:"), odd
        assert numbered_payload(remembered, odd) is None or odd in READ_AS_DIGITS, odd


async def test_forged_payload_numbers_get_the_old_button_reply(app):
    chat = Chat(app.dispatcher, user="prober")
    for cap in app.dispatcher.core.capabilities():
        for verb in cap.id_payloads:
            for odd in ODD_NUMBERS:
                await chat.press(f"{cap.name}:{verb}:{odd}")
                assert chat.text.startswith("Dạ"), (cap.name, verb, odd)
                assert "sự cố" not in chat.text, (cap.name, verb, odd)
    for command in ("/xemhoso", "/suahan", "/xoahan", "/ketquaphat", "/cauhoi"):
        for odd in ODD_NUMBERS:
            await chat.say(f"{command} {odd}")
            assert "sự cố" not in chat.text
    officer = Chat(app.dispatcher, user="officer")
    for odd in ODD_NUMBERS:
        for probe in (f"/xemhoso {odd}", f"/xoahan {odd}", f"/ketquaphat {odd}", f"/cauhoi {odd}"):
            await officer.say(probe)
            assert officer.text.strip(), probe
            assert "sự cố" not in officer.text, probe
        await officer.press(f"sub:ack:{odd}")
        assert "sự cố" not in officer.text
