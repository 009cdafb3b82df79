"""Shared steps for the intake tests: answer the whole questionnaire, read drafts and outbox."""

from __future__ import annotations

import csv
from pathlib import Path

import docx
from sqlalchemy import select

from bot.db.models import OutboxMessage
from bot.outbox import OutboxDelivery
from tests.fakes import RecordingSender
from tests.transcript import Chat

# (step, what the owner types or "#payload" for a button), in questionnaire order.
ANSWERS = [
    ("owner_name", "Nguyễn Văn An"),
    ("phone", "0912 345 678"),
    ("establishment_name", "Hộ kinh doanh Bún khô Minh Anh"),
    ("entity_type", "#intake:ans:entity_type:ho_kinh_doanh"),
    ("tax_code", "0101234567"),
    ("site_address", "xã Tân Hòa, tỉnh Phú Thọ"),
    ("site_area", "#intake:ans:site_area:xa"),
    ("sector", "chế biến nông, lâm, thủy sản"),
    ("support_type", "#intake:ans:support_type:may_moc_thiet_bi"),
    ("current_situation", "Đang phơi bún thủ công, mưa nhiều thì hỏng hàng, thiếu hàng giao."),
    ("machine", "Máy sấy bún bằng nhiệt, công suất 500 kg/mẻ"),
    ("supplier_quotes", "3"),
    ("total_cost", "800 triệu"),
    ("support_requested", "300tr"),
    ("start_date", "01/03/2027"),
    ("end_date", "quý 3 năm 2027"),
    ("expected_results", "Tăng từ 300 kg lên 1 tấn bún mỗi ngày, thêm 5 lao động, giảm khói bụi."),
    ("commit_no_other_funding", "#intake:ans:commit_no_other_funding:yes"),
    ("commit_counterpart", "có"),
    # The optional baseline section (issue 14).
    ("workers", "12"),
    ("wage", "6 triệu"),
    ("output_quantity", "120"),
    ("output_unit", "tấn bún khô"),
    ("revenue", "2,4 tỷ"),
    ("markets", "#intake:ans:markets:ngoai_tinh"),
    ("energy_use", "3.000 kWh điện mỗi tháng"),
]


async def open_edit(chat: Chat, step: str) -> None:
    """From the summary: "Sửa thông tin", the section holding `step`; its button is shown."""
    from knowledge import load_knowledge

    form = load_knowledge().intake_form
    assert form is not None
    sections = form.sections()
    index = next(i for i, (_, steps) in enumerate(sections) if step in {q.id for q in steps})
    await chat.press("intake:edit_menu")
    await chat.press(f"intake:edit_section:{index}")
    assert f"intake:edit:{step}" in chat.payloads, chat.text


async def send(chat: Chat, entry: str) -> None:
    if entry.startswith("#"):
        await chat.press(entry[1:])
    else:
        await chat.say(entry)


async def start_with_consent(chat: Chat, *, asked: bool = True) -> None:
    await chat.press("menu:intake")
    if asked:
        assert "91/2025/QH15" in chat.text
        await chat.press("intake:consent_yes")
    assert "họ và tên" in chat.text


async def answer_all(chat: Chat, answers=ANSWERS, skip=()) -> None:
    for step, entry in answers:
        if step in skip:
            await chat.press("intake:skip")
        else:
            await send(chat, entry)
    assert "xem lại thông tin" in chat.text, chat.text


async def full_intake(chat: Chat, *, consent_asked: bool = True) -> str:
    """Consent, all answers, submit; the path of the DOCX sent back."""
    await start_with_consent(chat, asked=consent_asked)
    await answer_all(chat)
    await chat.press("intake:submit")
    docs = [d for r in chat.replies for d in r.documents]
    assert len(docs) == 1, chat.text
    return docs[0].path


def docx_sections(path: str) -> dict[str, str]:
    """Heading → all text (paragraphs and tables) under it, read back with python-docx."""
    document = docx.Document(path)
    body = document.element.body
    sections: dict[str, list[str]] = {"": []}
    current = ""
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            paragraph = docx.text.paragraph.Paragraph(child, document)
            if paragraph.style.name.startswith("Heading") or paragraph.style.name == "Title":
                current = paragraph.text
                sections[current] = []
            else:
                sections[current].append(paragraph.text)
        elif tag == "tbl":
            table = docx.table.Table(child, document)
            for row in table.rows:
                sections[current].append(" | ".join(c.text for c in row.cells))
    return {k: "\n".join(v) for k, v in sections.items()}


async def outbox_rows(app) -> list[OutboxMessage]:
    async with app.db.transaction() as session:
        return list(
            (await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars()
        )


async def deliver(app) -> dict[str, RecordingSender]:
    senders = {"telegram": RecordingSender("telegram"), "console": RecordingSender("console")}
    await OutboxDelivery(app.db, senders, app.clock).dispatch_once()
    return senders


def read_csv(path: str) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def exists(path: str) -> bool:
    return Path(path).exists()
