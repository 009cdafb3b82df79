"""The layering rule of STYLE.md: bot → handlers → knowledge, never back."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "handlers": {"telegram", "aiohttp", "sqlalchemy", "bot", "alembic", "docx", "apscheduler"},
    "knowledge": {
        "telegram",
        "aiohttp",
        "sqlalchemy",
        "bot",
        "handlers",
        "alembic",
        "docx",
        "apscheduler",
    },
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_inner_layers_do_not_import_outer_ones(package):
    offenders = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in (ROOT / package).rglob("*.py")
        for name in _imports(path) & FORBIDDEN[package]
    }
    assert not offenders, sorted(offenders)


def test_the_check_would_notice_a_violation(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from telegram import Bot\nimport sqlalchemy.orm\n")
    assert _imports(bad) == {"telegram", "sqlalchemy"}
