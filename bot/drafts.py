"""Writes the draft đề án as DOCX (python-docx) and officer exports as CSV (DraftRenderer)."""

from __future__ import annotations

import csv
import logging
from pathlib import Path

from docx import Document as new_docx
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX
from docx.shared import Cm, Pt, RGBColor
from docx.text.paragraph import Paragraph

from knowledge.templates.de_an import Block, DraftDocument, Run

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
    """Implements handlers.ports.DraftRenderer; files go under `<directory>/drafts|exports`."""

    def render(self, draft: DraftDocument, directory: str) -> tuple[str, str]:
        folder = Path(directory) / "drafts"
        folder.mkdir(parents=True, exist_ok=True)
        doc = new_docx()
        self._page(doc)
        # python-docx resolves a style name on every use (a scan of all styles); resolve once.
        ids = {
            n: doc.styles[n].style_id for n in ("Title", "Heading 1", "List Bullet", "Table Grid")
        }
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

    @staticmethod
    def _page(doc: object) -> None:
        section = doc.sections[0]  # type: ignore[attr-defined]
        section.page_width, section.page_height = Cm(21), Cm(29.7)
        section.left_margin, section.right_margin = Cm(3), Cm(2)
        section.top_margin = section.bottom_margin = Cm(2)
        # Vietnamese administrative documents use Times New Roman 13–14, black headings.
        for name, size in (("Normal", 13), ("Title", 16), ("Heading 1", 13)):
            font = doc.styles[name].font  # type: ignore[attr-defined]
            font.name, font.size = "Times New Roman", Pt(size)
            if name != "Normal":
                font.bold, font.color.rgb = True, RGBColor(0, 0, 0)

    def _block(self, doc: object, block: Block, ids: dict[str, str]) -> None:
        if block.kind == "heading":
            title = block.style == "title"
            heading = doc.add_paragraph()  # type: ignore[attr-defined]
            heading._p.get_or_add_pPr().style = ids["Title" if title else "Heading 1"]
            if title:
                heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
            self._runs(heading, block.runs)
        elif block.kind == "table":
            self._table(doc, block, ids["Table Grid"])
        else:
            paragraph = doc.add_paragraph()  # type: ignore[attr-defined]
            if block.kind == "bullet":
                paragraph._p.get_or_add_pPr().style = ids["List Bullet"]
            paragraph.alignment = _ALIGN.get(block.style, WD_ALIGN_PARAGRAPH.JUSTIFY)
            self._runs(paragraph, block.runs, bold=block.style == "bold-center")
            if block.style == "note":
                for run in paragraph.runs:
                    run.italic = True

    @staticmethod
    def _runs(paragraph: Paragraph, runs: tuple[Run, ...], *, bold: bool = False) -> None:
        for item in runs:
            run = paragraph.add_run(item.text)
            run.bold = bold or None
            if item.placeholder:
                run.font.highlight_color = WD_COLOR_INDEX.YELLOW
                run.italic = True

    def _table(self, doc: object, block: Block, style_id: str) -> None:
        columns = max(len(row) for row in block.rows)
        table = doc.add_table(rows=len(block.rows), cols=columns)  # type: ignore[attr-defined]
        table._tbl.tblPr.style = style_id
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        for r, (row, doc_row) in enumerate(zip(block.rows, table.rows, strict=True)):
            for cell_runs, cell in zip(row, doc_row.cells, strict=False):
                self._runs(cell.paragraphs[0], cell_runs, bold=r in block.bold_rows)
        doc.add_paragraph()  # type: ignore[attr-defined]
