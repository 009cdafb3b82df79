"""`report effectiveness` (SPEC §1): load the rows, compute, print text/JSON or write XLSX."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from pathlib import Path
from typing import TextIO

from bot.config import Settings
from bot.db.checkins import load_report_rows
from bot.db.engine import Database
from bot.db.migrate import upgrade
from bot.report_xlsx import write_xlsx
from handlers.effectiveness_view import labels_of, render_text, report_json
from knowledge import load_knowledge
from knowledge.followup.effectiveness import EstablishmentRow, compute


async def load_rows(settings: Settings) -> list[EstablishmentRow]:
    """Every support record with its check-ins (the schema is brought up to date first)."""
    db = Database(settings.database_url)
    try:
        await upgrade(db)
        async with db.transaction() as session:
            return await load_report_rows(session)
    finally:
        await db.dispose()


def effectiveness_command(
    settings: Settings,
    *,
    province: str | None,
    year: int | None,
    fmt: str,
    output: Path | None,
    out: TextIO,
    err: TextIO,
    now: datetime,
) -> int:
    """Exit 0 on success, 2 on a usage error (xlsx without --output)."""
    if fmt == "xlsx" and output is None:
        err.write("Lỗi: --format xlsx cần --output TỆP.xlsx\n")
        return 2
    kb = load_knowledge(province=settings.province)
    rows = asyncio.run(load_rows(settings))
    report = compute(rows, province=province, year=year)
    labels = labels_of(kb)
    today = now.astimezone(settings.tz).date()
    if fmt == "json":
        text = json.dumps(report_json(report, labels, today), ensure_ascii=False)
    else:
        text = render_text(kb.ui, report, labels, today)
    if fmt == "xlsx":
        assert output is not None
        write_xlsx(report, labels, output)
        out.write(f"Dạ, đã ghi báo cáo ({report.total.establishments} cơ sở) vào {output}\n")
        return 0
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text + "\n", encoding="utf-8")
        return 0
    out.write(text + "\n")
    return 0
