"""The intake's handler and knowledge modules import nothing from the runtime layer."""

import ast
from pathlib import Path

FORBIDDEN = ("bot", "telegram", "aiohttp", "sqlalchemy", "docx")
MODULES = [
    "handlers/intake.py", "handlers/intake_view.py", "handlers/intake_draft.py",
    "handlers/submissions.py", "handlers/personal_data.py", "handlers/ports.py",
    *[str(p) for p in Path("knowledge/forms").glob("*.py")],
    *[str(p) for p in Path("knowledge/parsing").glob("*.py")],
    *[str(p) for p in Path("knowledge/templates").glob("*.py")],
]  # fmt: skip


def test_no_runtime_imports():
    offenders = []
    for module in MODULES:
        tree = ast.parse(Path(module).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [(module, n) for n in names if n.split(".")[0] in FORBIDDEN]
    assert len(MODULES) > 15
    assert offenders == []
