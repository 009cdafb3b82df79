"""`python -m bot eligibility --answers FILE --json` in a real subprocess (SPEC §1, §4)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def run_cli(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot", "eligibility", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_answers_from_a_file(subprocess_env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "answers.json"
    answers = {
        "entity_type": "ho_kinh_doanh",
        "site_area": "xa",
        "sector": "che_bien_nong_lam_thuy_san",
    }
    path.write_text(json.dumps(answers), encoding="utf-8")
    proc = run_cli(subprocess_env, "--answers", str(path), "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["verdict"] == "eligible"
    assert result["missing"] == []
    assert "may_moc_thiet_bi" in result["supports"]
    assert {"text", "source"} == set(result["reasons"][0])
    assert {"verdict", "reasons", "missing", "supports", "priority"} <= set(result)


def test_answers_from_stdin(subprocess_env: dict[str, str]) -> None:
    stdin = json.dumps({"entity_type": "chua_dang_ky", "sector": "gach_nung_thu_cong"})
    proc = run_cli(subprocess_env, "--answers", "-", "--json", stdin=stdin)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["verdict"] == "not_eligible"
    assert {r["source"] for r in result["reasons"]} == {
        "NĐ 45/2012/NĐ-CP Đ1 k2 a",
        "TT 46/2012/TT-BCT Đ5 k1",
    }
    assert result["changes"]


def test_missing_keys(subprocess_env: dict[str, str]) -> None:
    proc = run_cli(subprocess_env, "--answers", "-", "--json", stdin="{}")
    assert json.loads(proc.stdout)["missing"] == ["entity_type", "site_area", "sector"]


def test_bad_input_is_a_clear_error(subprocess_env: dict[str, str], tmp_path: Path) -> None:
    for stdin in ("not json", '{"entity_type": "cong_ty"}', "[1, 2]"):
        proc = run_cli(subprocess_env, "--answers", "-", "--json", stdin=stdin)
        assert proc.returncode == 2
        assert proc.stdout == ""
        assert "Lỗi" in proc.stderr
    proc = run_cli(subprocess_env, "--answers", str(tmp_path / "absent.json"), "--json")
    assert proc.returncode == 2


def test_plain_output(subprocess_env: dict[str, str]) -> None:
    stdin = json.dumps(
        {"entity_type": "htx", "site_area": "phuong_noi_thanh", "sector": "tieu_thu_cong_nghiep"}
    )
    proc = run_cli(subprocess_env, "--answers", "-", stdin=stdin)
    assert proc.returncode == 0
    assert proc.stdout.startswith("need_more_info")
    assert "cleaner_production" in proc.stdout
