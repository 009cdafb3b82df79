"""`python -m bot chat --json` runs the whole intake twice (stop, then resume) as a subprocess."""

import json
import subprocess
import sys

from tests.intake_helpers import ANSWERS, docx_sections


def _chat(env, lines):
    result = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--user", "cli-owner", "--json"],
        input="".join(f"{line}\n" for line in lines),
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_cli_intake_resumes_in_a_second_process(subprocess_env):
    entries = [entry for _, entry in ANSWERS]
    first = _chat(subprocess_env, ["#menu:intake", "#intake:consent_yes", *entries[:8]])
    assert "nội dung nào" in first[-1]["text"]
    second = _chat(subprocess_env, [*entries[8:], "#intake:submit"])
    docs = [d for reply in second for d in reply["documents"]]
    assert len(docs) == 1
    assert "CHƯA được gửi đi" in second[-1]["text"]
    sections = docx_sections(docs[0]["path"])
    assert (
        "Nguyễn Văn An"
        in sections["I. ĐƠN VỊ THỰC HIỆN, ĐƠN VỊ PHỐI HỢP, ĐƠN VỊ THỤ HƯỞNG, ĐỊA ĐIỂM THỰC HIỆN"]
    )
