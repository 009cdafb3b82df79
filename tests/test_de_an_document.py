"""The đề án as an officer prints it: NĐ 30/2020 layout, fonts, no chat wording, no repeats.

The LibreOffice test renders the DOCX once (soffice → PDF), checks the embedded fonts with
pdffonts and the page count with pdfinfo, and keeps the pages as PNG under
tests/artifacts/de_an/ (ignored by git) for a person to look at.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import docx
import pytest
from docx.enum.text import WD_COLOR_INDEX
from docx.oxml.ns import qn

from handlers.intake_draft import place_of
from knowledge import load_knowledge
from knowledge.templates.de_an import (
    DeAnTemplate,
    compose,
    load_template,
    repeated_sentences,
)
from knowledge.yamlfile import KnowledgeError
from tests.intake_helpers import ANSWERS, answer_all, full_intake, start_with_consent
from tests.transcript import Chat

ARTIFACTS = Path(__file__).parent / "artifacts" / "de_an"
_W = qn("w:rFonts")


@pytest.fixture(scope="module")
def kb():
    return load_knowledge()


def _all_text(path: str) -> str:
    document = docx.Document(path)
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [c.text for row in table.rows for c in row.cells]
    return "\n".join(parts)


async def test_layout_of_an_administrative_document(chat: Chat) -> None:
    path = await full_intake(chat)
    document = docx.Document(path)
    masthead = document.tables[0]
    left, right = (c.text for c in masthead.rows[0].cells)
    assert left == "HỘ KINH DOANH BÚN KHÔ MINH ANH"
    assert right.splitlines() == [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
    ]
    motto = [
        r for p in masthead.rows[0].cells[1].paragraphs for r in p.runs if "Độc lập" in r.text
    ]
    assert motto
    assert all(r.underline and r.bold for r in motto)
    place = masthead.rows[1].cells[1].text
    assert re.fullmatch(r"Xã Tân Hòa, tỉnh Phú Thọ, ngày \d\d tháng \d{1,2} năm 2026", place)
    section = document.sections[0]
    # NĐ 30/2020 Phụ lục I: top and bottom 20–25 mm, left 30–35 mm, right 15–20 mm.
    assert 20 <= round(section.top_margin.mm) <= 25
    assert 20 <= round(section.bottom_margin.mm) <= 25
    assert 30 <= round(section.left_margin.mm) <= 35
    assert 15 <= round(section.right_margin.mm) <= 20
    header_xml = section.header._element.xml
    assert "PAGE" in header_xml
    assert "fldChar" in header_xml
    signature = document.tables[-1]
    signer = signature.rows[0].cells[1].text.splitlines()
    assert signer[0] == "ĐẠI DIỆN CƠ SỞ"
    assert signer[-1] == "Nguyễn Văn An"
    assert signer.count("") >= 3, "room to sign between the capacity and the name"
    assert all(
        row._tr.trPr is not None and row._tr.trPr.find(qn("w:cantSplit")) is not None
        for row in signature.rows
    )


async def test_every_style_names_times_new_roman_and_no_theme_font(chat: Chat) -> None:
    path = await full_intake(chat)
    document = docx.Document(path)
    styles = document.styles.element
    used = {p.style.name for p in document.paragraphs} | {"Table Grid"}
    for style in document.styles:
        if style.name not in used:
            continue
        fonts = style.element.rPr.find(_W)
        for slot in ("ascii", "hAnsi", "eastAsia", "cs"):
            assert fonts.get(qn(f"w:{slot}")) == "Times New Roman", (style.name, slot)
    xml = styles.xml + document.element.xml
    assert "Theme" not in re.sub(r"<w:latentStyles.*?</w:latentStyles>", "", xml, flags=re.S)
    for name in ("Heading 1", "Title"):
        size = document.styles[name].font.size.pt
        assert 13 <= size <= 14, (name, size)
    assert document.styles["Normal"].font.size.pt == 13


CHAT_WORDS = ["bấm", "gõ", "nút", "anh/chị", "Dạ,", "⚠", "/huy", "Sửa"]


@pytest.mark.parametrize("word", CHAT_WORDS)
async def test_no_chat_wording_in_the_document(app, chat: Chat, word: str) -> None:
    # Over the rate and the cap: the budget notes are the likeliest place for chat wording.
    answers = [
        (s, "2 tỷ" if s == "total_cost" else "1,5 tỷ" if s == "support_requested" else e)
        for s, e in ANSWERS
    ]
    await start_with_consent(chat)
    await answer_all(chat, answers)
    await chat.press("intake:submit")
    path = next(d for r in chat.replies for d in r.documents).path
    text = _all_text(path)
    assert "vượt mức trần" in text
    assert word not in text


@pytest.mark.parametrize(
    ("address", "place"),
    [
        ("xã Tân Hòa, tỉnh Phú Thọ", "Xã Tân Hòa, tỉnh Phú Thọ"),
        ("thôn 3, xã Tân Hòa, tỉnh Phú Thọ", "Xã Tân Hòa, tỉnh Phú Thọ"),
        ("Tổ 5, phường Hồng Gai, tỉnh Quảng Ninh", "Phường Hồng Gai, tỉnh Quảng Ninh"),
        ("đặc khu Phú Quốc, tỉnh An Giang", "Đặc khu Phú Quốc, tỉnh An Giang"),
        ("xa Tan Hoa, tinh Phu Tho", "Xa Tan Hoa, tinh Phu Tho"),
        ("phường Bến Thành, thành phố Hồ Chí Minh", "Phường Bến Thành, thành phố Hồ Chí Minh"),
        ("Bản Lác, Mai Châu", "Bản Lác, Mai Châu"),
    ],
)
def test_place_of_the_date_line(address: str, place: str) -> None:
    assert place_of(address) == place


@pytest.mark.parametrize(
    ("situation", "results"),
    [
        # The owner typed the same words for two questions.
        (
            "Thiếu máy sấy nên hàng hỏng khi mưa nhiều.",
            "Thiếu máy sấy nên hàng hỏng khi mưa nhiều.",
        ),
        ("thieu may say nen hang hong khi mua", "Thiếu máy sấy nên hàng hỏng khi mưa"),
        ("Tăng sản lượng lên 1 tấn mỗi ngày. Đang làm tay.", "Tăng sản lượng lên 1 tấn mỗi ngày."),
        ("Đang làm tay, mỗi ngày 300 kg.", "Tăng lên 1 tấn mỗi ngày, thêm 5 lao động."),
    ],
)
def test_no_two_sections_repeat_a_sentence(kb, situation: str, results: str) -> None:
    template = kb.de_an
    values: dict[str, str | None] = {"current_situation": situation, "expected_results": results}
    draft = compose(template, values, {}, {}, "x")
    assert repeated_sentences(draft) == []
    assert situation in draft.plain_text()


_REPEAT = {
    "literal sentence": ('"Cơ sở cam kết các thông tin kê khai trên là đúng sự thật."', 1),
    "owner field alone": ('"Mục tiêu: {current_situation}"', 1),
}


@pytest.mark.parametrize("case", sorted(_REPEAT))
def test_template_that_repeats_a_sentence_is_refused(kb, tmp_path: Path, case: str) -> None:
    text, _ = _REPEAT[case]
    source = Path("knowledge/templates/de_an.yaml").read_text(encoding="utf-8")
    marker = '      - text: "Chỉ tiêu định lượng:'
    assert marker in source
    path = tmp_path / "de_an.yaml"
    path.write_text(source.replace(marker, f"      - text: {text}\n{marker}"), encoding="utf-8")
    with pytest.raises(KnowledgeError) as info:
        load_template(path, set(kb.intake_form.ids()))
    assert "say it once" in str(info.value)
    assert isinstance(kb.de_an, DeAnTemplate)


async def test_unaccented_owner_text_kept_is_flagged_for_the_officer(chat: Chat) -> None:
    answers = [
        (s, "Dang phoi bun thu cong, mua nhieu thi hong hang" if s == "current_situation" else e)
        for s, e in ANSWERS
    ]
    await start_with_consent(chat)
    for step, entry in answers:
        if step == "current_situation":
            await chat.say(entry)
            assert "Đang phơi bún thủ công, mưa nhiều thì hỏng hàng" in chat.text
            await chat.press("intake:restore_no")
        elif entry.startswith("#"):
            await chat.press(entry[1:])
        else:
            await chat.say(entry)
    await chat.press("intake:submit")
    path = next(d for r in chat.replies for d in r.documents).path
    flagged = [
        r.text
        for p in docx.Document(path).paragraphs
        for r in p.runs
        if r.font.highlight_color == WD_COLOR_INDEX.YELLOW and not r.italic
    ]
    assert flagged == ["Dang phoi bun thu cong, mua nhieu thi hong hang"]


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.skip(
            f"{name} is not installed: apt-get install libreoffice-writer-nogui poppler-utils "
            "fonts-liberation (.ci/run does it) to render the đề án"
        )
    return found


async def test_renders_in_libreoffice_with_times_new_roman(chat: Chat, tmp_path: Path) -> None:
    soffice, pdffonts, pdfinfo, pdftoppm, pdftotext = (
        _tool(n) for n in ("soffice", "pdffonts", "pdfinfo", "pdftoppm", "pdftotext")
    )
    path = await full_intake(chat)
    pdf = _render_and_check(path, tmp_path, soffice, pdffonts, pdfinfo, pdftoppm)
    _date_line_on_one_line(pdf, pdftotext)


def _date_line_on_one_line(pdf: Path, pdftotext: str) -> None:
    layout = subprocess.run(
        [pdftotext, "-layout", "-l", "1", str(pdf), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    # The place-and-date line is printed on one line (it wrapped "năm\n2026" before).
    [line] = [x.strip() for x in layout.splitlines() if ", ngày " in x]
    assert re.fullmatch(r"Xã Tân Hòa, tỉnh Phú Thọ, ngày \d\d tháng \d{1,2} năm 2026", line), line


def _render_and_check(
    path: str, tmp_path: Path, soffice: str, pdffonts: str, pdfinfo: str, pdftoppm: str
) -> Path:
    out = tmp_path / "pdf"
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            path,
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    pdf = next(out.glob("*.pdf"))
    fonts = subprocess.run([pdffonts, str(pdf)], check=True, capture_output=True, text=True)
    names = {line.split()[0].split("+")[-1] for line in fonts.stdout.splitlines()[2:]}
    assert names, fonts.stdout
    allowed = re.compile(r"^(TimesNewRoman|LiberationSerif)")
    assert all(allowed.match(n) for n in names), names
    info = subprocess.run([pdfinfo, str(pdf)], check=True, capture_output=True, text=True)
    pages = int(re.search(r"Pages:\s+(\d+)", info.stdout)[1])
    assert 2 <= pages <= 6, pages
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    subprocess.run([pdftoppm, "-png", "-r", "60", str(pdf), str(ARTIFACTS / "page")], check=True)
    shutil.copy(pdf, ARTIFACTS / "de_an.pdf")
    assert len(list(ARTIFACTS.glob("page*.png"))) == pages
    print(f"đề án pages: {ARTIFACTS}")
    return pdf
