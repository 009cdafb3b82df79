"""The dialogue through `python -m bot chat --json`, stopped in the middle and resumed by a
second process on the same database."""

from __future__ import annotations

import json
import subprocess
import sys


def chat(env: dict[str, str], lines: list[str], user: str = "farmer") -> list[dict]:
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--json", "--user", user],
        input="".join(f"{line}\n" for line in lines),
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]


def payloads(reply: dict) -> list[str]:
    return [b["payload"] for b in reply["buttons"]]


def test_buttons_by_number_then_resume_in_a_new_process(subprocess_env: dict[str, str]) -> None:
    # "1" presses the first button of the latest reply: "Hộ kinh doanh".
    first = chat(subprocess_env, ["#menu:elig", "1"])
    assert "Xưởng sản xuất" in first[-1]["text"]
    assert "elig:a:site_area:xa" in payloads(first[-1])
    second = chat(subprocess_env, ["ở xã", "bún"])
    assert "vùng khó khăn" in second[-1]["text"]
    third = chat(subprocess_env, ["#elig:a:difficult_area:false", "chưa"])
    result = third[-1]
    assert "THUỘC DIỆN" in result["text"]
    assert "Nghị định 235/2025/NĐ-CP" in result["text"]
    assert "faq:t:may_moc_thiet_bi" in payloads(result)
    assert "intake:from_elig" in payloads(result)


def test_free_text_to_not_eligible_in_the_console(subprocess_env: dict[str, str]) -> None:
    replies = chat(
        subprocess_env, ["#menu:elig", "chua dang ky, lam gach nung lo thu cong", "dung"], "kiln"
    )
    assert "em hiểu là" in replies[-2]["text"]
    assert "CHƯA thuộc diện" in replies[-1]["text"]
    assert "khoản 1 Điều 5 Thông tư 46/2012/TT-BCT" in replies[-1]["text"]
