"""Writes the draft đề án as DOCX (python-docx) and officer exports as CSV (DraftRenderer)."""

from __future__ import annotations

import csv
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from docx import Document as new_docx
from docx.document import Document as DocxDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Cm, Pt, RGBColor
from docx.table import _Row
from docx.text.paragraph import Paragraph

from knowledge.templates.de_an import LINE, Block, DraftDocument, Run

log = logging.getLogger(__name__)

_ALIGN = {
    "center": WD_ALIGN_PARAGRAPH.CENTER,
    "bold-center": WD_ALIGN_PARAGRAPH.CENTER,
    "title": WD_ALIGN_PARAGRAPH.CENTER,
    "right": WD_ALIGN_PARAGRAPH.RIGHT,
    "note": WD_ALIGN_PARAGRAPH.LEFT,
}


def _cell(value: str) -> str:
    """Owners type these cells: a leading = + - @ would run as a formula in Excel."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@") else value


class DocxRenderer:
    """Implements handlers.ports.DraftRenderer; files go under `<directory>/drafts|exports`.

    Layout of Nghị định 30/2020/NĐ-CP, Phụ lục I: A4, margins top/bottom 20 mm, left 30 mm,
    right 15 mm; Times New Roman 13 in body and headings (every style, and the East-Asian and
    complex-script font slots too, so no theme font is left for Word or LibreOffice to pick);
    page numbers centred at the top from page 2.
    """

    def render(self, draft: DraftDocument, directory: str) -> tuple[str, str]:
        folder = Path(directory) / "drafts"
        folder.mkdir(parents=True, exist_ok=True)
        doc = new_docx()
        _page(doc)
        _fonts(doc)
        # python-docx resolves a style name on every use (a scan of all styles); resolve once.
        ids = {n: doc.styles[n].style_id for n in ("Title", "Heading 1", "Table Grid")}
        for block in draft.blocks:
            self._block(doc, block, ids)
        name = f"{draft.file_stem}.docx"
        path = folder / name
        doc.save(str(path))
        return str(path), name

    def write_csv(self, rows: list[list[str]], directory: str, stem: str) -> tuple[str, str]:
        folder = Path(directory) / "exports"
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{stem}.csv"
        path = folder / name
        # utf-8-sig: Excel on Windows opens Vietnamese CSV correctly only with a BOM.
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            csv.writer(fh).writerows([[_cell(c) for c in row] for row in rows])
        return str(path), name

    def delete(self, paths: list[str]) -> None:
        for raw in paths:
            try:
                Path(raw).unlink(missing_ok=True)
            except OSError:
                log.warning("could not delete a draft file")

    def _block(self, doc: DocxDocument, block: Block, ids: dict[str, str]) -> None:
        if block.kind == "heading":
            title = block.style == "title"
            heading = doc.add_paragraph()
            heading._p.get_or_add_pPr().style = ids["Title" if title else "Heading 1"]
            if title:
                heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _runs(heading, block.runs)
        elif block.kind == "table":
            self._table(doc, block, ids["Table Grid"])
        elif block.kind == "columns":
            _columns(doc, block)
        else:
            paragraph = doc.add_paragraph()
            runs = block.runs
            if block.kind == "bullet":
                # A dash, as administrative documents list items (no bullet font to embed).
                runs = (Run("- "), *runs)
            paragraph.alignment = _ALIGN.get(block.style, WD_ALIGN_PARAGRAPH.JUSTIFY)
            if block.style not in _ALIGN:
                paragraph.paragraph_format.first_line_indent = Cm(1)
            _runs(paragraph, runs, bold=block.style == "bold-center")
            if block.style == "note":
                for run in paragraph.runs:
                    run.italic = True
                    run.font.size = Pt(11)

    def _table(self, doc: DocxDocument, block: Block, style_id: str) -> None:
        columns = max(len(row) for row in block.rows)
        table = doc.add_table(rows=len(block.rows), cols=columns)
        table._tbl.tblPr.style = style_id
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        for r, (row, doc_row) in enumerate(zip(block.rows, table.rows, strict=True)):
            _no_split(doc_row)
            for cell_runs, cell in zip(row, doc_row.cells, strict=False):
                paragraph = cell.paragraphs[0]
                paragraph.paragraph_format.first_line_indent = None
                _runs(paragraph, cell_runs, bold=r in block.bold_rows)
        doc.add_paragraph()


# Column widths (cm) of the borderless two-column blocks; the text width is 21 − 3 − 1.5.
_COLUMN_WIDTHS = {"masthead": (6.0, 10.5), "signature": (7.5, 9.0)}


def _columns(doc: DocxDocument, block: Block) -> None:
    """A borderless table: masthead (issuer | Quốc hiệu, Tiêu ngữ, place and date) or the
    signature (recipients | signer); its rows never split across pages."""
    widths = _COLUMN_WIDTHS.get(block.style, (8.25, 8.25))
    table = doc.add_table(rows=len(block.rows), cols=2)
    table.autofit = False
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Cm(width)
    for row, doc_row in zip(block.rows, table.rows, strict=True):
        _no_split(doc_row)
        if block.style == "masthead" and not row[0]:
            _place_date(doc_row, row[1], sum(widths))
            continue
        for index, (cell_runs, cell) in enumerate(zip(row, doc_row.cells, strict=False)):
            cell.width = Cm(widths[index])
            lines: list[list[Run]] = [[]]
            for run in cell_runs:
                if run.text == LINE:
                    lines.append([])
                else:
                    lines[-1].append(run)
            left_list = block.style == "signature" and index == 0
            for n, line in enumerate(lines):
                paragraph = cell.paragraphs[0] if n == 0 else cell.add_paragraph()
                paragraph.paragraph_format.first_line_indent = None
                paragraph.paragraph_format.space_after = Pt(0)
                paragraph.alignment = (
                    WD_ALIGN_PARAGRAPH.LEFT if left_list else WD_ALIGN_PARAGRAPH.CENTER
                )
                _runs(paragraph, tuple(line))
                if left_list and n:
                    for item in paragraph.runs:
                        item.font.size = Pt(11)
    doc.add_paragraph()


def _place_date(row: _Row, runs: tuple[Run, ...], width: float) -> None:
    """The masthead's place-and-date line (NĐ 30/2020 Phụ lục I, item 5) on one line: the
    row's two cells merged, right-aligned under the Tiêu ngữ. In the 10.5 cm right column
    alone "Xã Tân Hòa, tỉnh Phú Thọ, ngày 21 tháng 11 năm 2026" (13 pt italic) wrapped."""
    cell = row.cells[0].merge(row.cells[1])
    cell.width = Cm(width)
    paragraph = cell.paragraphs[0]
    paragraph.paragraph_format.first_line_indent = None
    paragraph.paragraph_format.space_after = Pt(0)
    paragraph.paragraph_format.space_before = Pt(6)
    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _runs(paragraph, runs)


def _no_split(row: _Row) -> None:
    """Word and LibreOffice keep a row with w:cantSplit on one page."""
    tr_pr = row._tr.get_or_add_trPr()
    if tr_pr.find(qn("w:cantSplit")) is None:
        tr_pr.append(OxmlElement("w:cantSplit"))


def _runs(paragraph: Paragraph, runs: tuple[Run, ...], *, bold: bool = False) -> None:
    for item in runs:
        run = paragraph.add_run(item.text)
        run.bold = bold or item.bold or None
        run.italic = item.italic or None
        run.underline = item.underline or None
        if item.placeholder:
            run.font.highlight_color = WD_COLOR_INDEX.YELLOW
            run.italic = True
        elif item.flagged:
            run.font.highlight_color = WD_COLOR_INDEX.YELLOW


def _page(doc: DocxDocument) -> None:
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin, section.right_margin = Cm(3), Cm(1.5)
    section.top_margin = section.bottom_margin = Cm(2)
    section.header_distance = section.footer_distance = Cm(1)
    # Page numbers centred in the header, not on the first page (NĐ 30/2020 Phụ lục I).
    section.different_first_page_header_footer = True
    paragraph = section.header.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run()
    for kind, text in (
        ("begin", None),
        (None, " PAGE "),
        ("separate", None),
        (None, "2"),
        ("end", None),
    ):
        if kind is not None:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)
        elif text == " PAGE ":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._r.append(instr)
        else:
            shown = OxmlElement("w:t")
            shown.text = text
            run._r.append(shown)


_FONT = "Times New Roman"
_SIZES = {"Normal": 13, "Title": 14, "Heading 1": 13}
_THEME_ATTRS = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")


def _fonts(doc: DocxDocument) -> None:
    """Times New Roman in every slot (ascii, hAnsi, eastAsia, cs) of every style and of the
    document defaults, theme references removed: Word and LibreOffice then agree."""
    styles = doc.styles
    for style in styles:
        if style.type in (WD_STYLE_TYPE.PARAGRAPH, WD_STYLE_TYPE.CHARACTER, WD_STYLE_TYPE.TABLE):
            style.element.get_or_add_rPr()
        if style.type == WD_STYLE_TYPE.PARAGRAPH and style.name.startswith(("Heading", "Title")):
            font = style.font
            font.size = Pt(_SIZES.get(style.name, 13))
            font.bold, font.italic = True, False
            font.color.rgb = RGBColor(0, 0, 0)
            style.paragraph_format.space_before = Pt(6)
            style.paragraph_format.space_after = Pt(6)
    # Every run-properties element: document defaults, styles, table-style conditional parts.
    for r_pr in styles.element.iter(qn("w:rPr")):
        _set_fonts(r_pr)
    normal = styles["Normal"]
    normal.font.size = Pt(_SIZES["Normal"])
    normal.paragraph_format.space_after = Pt(6)
    normal.paragraph_format.line_spacing = 1.15
    title = styles["Title"]
    _no_border(title.element)


def _set_fonts(r_pr: BaseOxmlElement) -> None:
    fonts = r_pr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        r_pr.insert(0, fonts)
    for attr in _THEME_ATTRS:
        fonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), _FONT)


def _no_border(style: BaseOxmlElement) -> None:
    """The default Title style draws a coloured rule under the title; a đề án has none."""
    p_pr = style.find(qn("w:pPr"))
    if p_pr is not None:
        for border in p_pr.findall(qn("w:pBdr")):
            p_pr.remove(border)


if TYPE_CHECKING:
    # Checked by mypy against the Protocol the intake and erasure write files through.
    from handlers.ports import DraftRenderer

    def _conforms() -> None:
        _renderer: DraftRenderer = DocxRenderer()
