"""The registry of CNNT establishments, built from intake submissions (the latest per owner),
and its exports: CSV and XLSX (openpyxl) with Vietnamese headers, money as numbers."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from handlers.ports import SubmissionRecord
from knowledge import KnowledgeBase
from knowledge.forms.roles import Role

HEADERS = (
    "Mã hồ sơ", "Cơ sở", "Loại hình", "Ngành nghề", "Xã/phường", "Tỉnh/thành phố", "Địa chỉ",
    "Số lao động", "Nội dung hỗ trợ", "Tổng kinh phí (đồng)", "Đề nghị hỗ trợ (đồng)",
    "Vốn đối ứng (đồng)", "Trạng thái", "Cập nhật",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Establishment:
    submission_id: int
    name: str
    entity_type: str
    sector: str
    commune: str
    province: str
    address: str
    workforce: int | None
    support_type: str
    total: int | None
    requested: int | None
    status: str
    updated_at: datetime

    @property
    def counterpart(self) -> int | None:
        if self.total is None or self.requested is None:
            return None
        return self.total - self.requested

    def row(self, status_label: str, tz: Any) -> list[Any]:
        return [
            self.submission_id, self.name, self.entity_type, self.sector, self.commune,
            self.province, self.address, self.workforce, self.support_type, self.total,
            self.requested, self.counterpart, status_label,
            self.updated_at.astimezone(tz).strftime("%d/%m/%Y"),
        ]  # fmt: skip


def _label(kb: KnowledgeBase, answers: dict[str, Any], step_id: str) -> str:
    question = next((q for q in kb.intake_form.steps if q.id == step_id), None)
    value = answers.get(step_id)
    if question is None or value is None:
        return ""
    return question.label_of(value) if isinstance(value, str) else str(value)


def _role_label(kb: KnowledgeBase, answers: dict[str, Any], role: Role) -> str:
    question = kb.intake_form.by_role(role)
    return _label(kb, answers, question.id) if question else ""


def establishment(kb: KnowledgeBase, record: SubmissionRecord) -> Establishment:
    answers = record.answers
    form = kb.intake_form
    address = str(form.answer(answers, Role.ADDRESS) or "")
    parts = [p.strip() for p in address.split(",") if p.strip()]
    total = form.answer(answers, Role.TOTAL_COST)
    requested = form.answer(answers, Role.SUPPORT_REQUESTED)
    workforce = answers.get("employees")
    return Establishment(
        submission_id=record.id,
        name=record.establishment,
        entity_type=_role_label(kb, answers, Role.ENTITY_TYPE),
        sector=_label(kb, answers, "sector"),
        commune=parts[-2] if len(parts) >= 2 else "",
        province=parts[-1] if parts else "",
        address=address,
        workforce=workforce if isinstance(workforce, int) else None,
        support_type=_role_label(kb, answers, Role.SUPPORT_TYPE),
        total=total if isinstance(total, int) else None,
        requested=requested if isinstance(requested, int) else None,
        status=record.status,
        updated_at=record.updated_at,
    )


def registry(kb: KnowledgeBase, records: list[SubmissionRecord]) -> list[Establishment]:
    """One line per owner (their latest submission), newest first."""
    latest: dict[int, SubmissionRecord] = {}
    for record in records:
        kept = latest.get(record.user_id)
        if kept is None or record.updated_at > kept.updated_at:
            latest[record.user_id] = record
    rows = [establishment(kb, r) for r in latest.values()]
    return sorted(rows, key=lambda e: e.updated_at, reverse=True)


def to_csv(rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    return out.getvalue().encode("utf-8-sig")  # Excel opens UTF-8 with a BOM correctly


def to_xlsx(rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook  # only when exporting

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Cơ sở CNNT"
    sheet.append(list(HEADERS))
    for row in rows:
        sheet.append(row)
    for column in ("J", "K", "L"):
        for cell in sheet[column][1:]:
            cell.number_format = "#,##0"
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
