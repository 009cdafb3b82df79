"""The effectiveness report as an Excel workbook (openpyxl): one sheet per breakdown, raw rows.

Headers are Vietnamese; every figure is a numeric cell (money in đồng with a thousands
format, percentages as numbers with one decimal), an unknown figure is an empty cell, never 0.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from handlers.effectiveness_view import LEVERAGE_FORMULA, Labels, row_json
from knowledge.followup.effectiveness import EffectivenessReport, GroupFigures

MONEY = "#,##0"
COUNT = "0"
RATIO = "0.0"
PERCENT = "0.0"

# (header, format, value of a group)
GROUP_COLUMNS: tuple[tuple[str, str | None, Any], ...] = (
    ("Số cơ sở được hỗ trợ", COUNT, lambda g: g.establishments),
    ("Hỗ trợ nhà nước (đồng)", MONEY, lambda g: g.state_support),
    ("Vốn đối ứng của cơ sở (đồng)", MONEY, lambda g: g.own_capital),
    (f"Hệ số thu hút vốn ({LEVERAGE_FORMULA})", RATIO, lambda g: g.leverage),
    ("Số cơ sở có số liệu lao động trước và sau", COUNT, lambda g: g.jobs.n),
    ("Lao động trước", COUNT, lambda g: g.jobs.before if g.jobs.n else None),
    ("Lao động sau", COUNT, lambda g: g.jobs.after if g.jobs.n else None),
    ("Thay đổi lao động (%)", PERCENT, lambda g: g.jobs.change_percent),
    ("Số cơ sở có số liệu thu nhập trước và sau", COUNT, lambda g: g.wage.n),
    ("Thu nhập bình quân trước (đồng/người/tháng)", MONEY, lambda g: g.wage.average_before),
    ("Thu nhập bình quân sau (đồng/người/tháng)", MONEY, lambda g: g.wage.average_after),
    ("Thay đổi thu nhập (%)", PERCENT, lambda g: g.wage.change_percent),
    ("Số cơ sở có số liệu doanh thu trước và sau", COUNT, lambda g: g.revenue.n),
    ("Doanh thu trước (đồng/năm)", MONEY, lambda g: g.revenue.before if g.revenue.n else None),
    ("Doanh thu sau (đồng/năm)", MONEY, lambda g: g.revenue.after if g.revenue.n else None),
    ("Thay đổi doanh thu (%)", PERCENT, lambda g: g.revenue.change_percent),
    ("Lần hỏi thăm đã gửi", COUNT, lambda g: g.asked),
    ("Lần hỏi thăm được trả lời", COUNT, lambda g: g.answered),
    ("Số cơ sở đã được hỏi thăm", COUNT, lambda g: g.asked_establishments),
    ("Tỷ lệ trả lời (%)", PERCENT, lambda g: g.response_rate),
    ("Ngừng hoạt động", None, lambda g: "; ".join(g.stopped)),
    ("Chưa trả lời lần hỏi gần nhất", None, lambda g: "; ".join(g.not_answering)),
    ("Từ chối hỏi thăm / đã xóa dữ liệu", None, lambda g: "; ".join(g.refused)),
)

RAW_COLUMNS: tuple[tuple[str, str, str | None], ...] = (
    ("support_id", "Mã", COUNT),
    ("establishment", "Cơ sở", None),
    ("province", "Tỉnh", None),
    ("support_type_label", "Nội dung hỗ trợ", None),
    ("sector", "Ngành nghề", None),
    ("completed_on", "Ngày hoàn thành", "dd/mm/yyyy"),
    ("state_support", "Hỗ trợ nhà nước (đồng)", MONEY),
    ("own_capital", "Vốn đối ứng (đồng)", MONEY),
    ("workers_before", "Lao động trước", COUNT),
    ("workers_after", "Lao động sau", COUNT),
    ("wage_before", "Thu nhập trước (đồng/tháng)", MONEY),
    ("wage_after", "Thu nhập sau (đồng/tháng)", MONEY),
    ("revenue_before", "Doanh thu trước (đồng/năm)", MONEY),
    ("revenue_after", "Doanh thu sau (đồng/năm)", MONEY),
    ("operating", "Còn hoạt động", None),
    ("checkins_asked", "Lần hỏi đã gửi", COUNT),
    ("checkins_answered", "Lần trả lời", COUNT),
    ("refused", "Từ chối hỏi thăm", None),
)
SHEETS = (
    ("Tổng hợp", "total", "Phạm vi"),
    ("Theo tỉnh", "by_province", "Tỉnh"),
    ("Theo nội dung hỗ trợ", "by_support_type", "Nội dung hỗ trợ"),
    ("Theo ngành", "by_sector", "Ngành nghề"),
)


def _header(sheet: Worksheet, names: list[str]) -> None:
    sheet.append(names)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "B2"
    for index in range(1, len(names) + 1):
        sheet.column_dimensions[sheet.cell(1, index).column_letter].width = 18


def _group_sheet(sheet: Worksheet, first: str, groups: list[tuple[str, GroupFigures]]) -> None:
    _header(sheet, [first, *(c[0] for c in GROUP_COLUMNS)])
    for label, figures in groups:
        sheet.append([label, *(value(figures) for _, _, value in GROUP_COLUMNS)])
        row = sheet.max_row
        for offset, (_, number_format, _) in enumerate(GROUP_COLUMNS, start=2):
            if number_format:
                sheet.cell(row, offset).number_format = number_format


def _raw_value(key: str, data: dict[str, Any], row_date: date) -> Any:
    if key == "completed_on":
        return row_date
    if key == "operating":
        return {"yes": "Có", "no": "Không"}.get(data[key] or "", "")
    if key == "refused":
        return "Có" if data[key] else ""
    return data[key]


def write_xlsx(report: EffectivenessReport, labels: Labels, path: Path) -> None:
    """Write the workbook to `path` (parent folders are created)."""
    book = Workbook()
    default = book.active
    for title, attribute, first in SHEETS:
        sheet = book.create_sheet(title)
        if attribute == "total":
            scope = labels.province(report.province) if report.province else "Tất cả"
            if report.year:
                scope = f"{scope}, năm {report.year}"
            _group_sheet(sheet, first, [(scope, report.total)])
            continue
        groups: tuple[GroupFigures, ...] = getattr(report, attribute)
        label = {
            "by_province": labels.province,
            "by_support_type": labels.support_type,
            "by_sector": labels.sector,
        }[attribute]
        _group_sheet(sheet, first, [(label(g.key) or "(chưa rõ)", g) for g in groups])
    raw = book.create_sheet("Dữ liệu gốc")
    _header(raw, [header for _, header, _ in RAW_COLUMNS])
    for row in report.rows:
        data = row_json(row, labels)
        raw.append([_raw_value(key, data, row.completed_on) for key, _, _ in RAW_COLUMNS])
        for index, (_, _, number_format) in enumerate(RAW_COLUMNS, start=1):
            if number_format:
                raw.cell(raw.max_row, index).number_format = number_format
    if default is not None:
        book.remove(default)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
