"""Writes the draft đề án as DOCX (python-docx) and officer exports as CSV (DraftRenderer)."""

from __future__ import annotations

import csv
import logging
from pathlib import Path

from docx import Document as new_docx
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX
from docx.shared import Cm, Pt
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


class DocxRenderer:
    """Implements handlers.ports.DraftRenderer; files go under `<directory>/drafts|exports`."""

    def render(self, draft: DraftDocument, directory: str) -> tuple[str, str]:
        folder = Path(directory) / "drafts"
        folder.mkdir(parents=True, exist_ok=True)
        doc = new_docx()
        self._page(doc)
        for block in draft.blocks:
            self._block(doc, block)
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
            csv.writer(fh).writerows(rows)
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
        style = doc.styles["Normal"]  # type: ignore[attr-defined]
        style.font.name = "Times New Roman"
        style.font.size = Pt(13)

    def _block(self, doc: object, block: Block) -> None:
        if block.kind == "heading":
            level = 0 if block.style == "title" else 1
            heading = doc.add_heading(level=level)  # type: ignore[attr-defined]
            if level == 0:
                heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
            self._runs(heading, block.runs)
        elif block.kind == "table":
            self._table(doc, block)
        else:
            style = "List Bullet" if block.kind == "bullet" else None
            paragraph = doc.add_paragraph(style=style)  # type: ignore[attr-defined]
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

    def _table(self, doc: object, block: Block) -> None:
        columns = max(len(row) for row in block.rows)
        table = doc.add_table(rows=len(block.rows), cols=columns)  # type: ignore[attr-defined]
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        for r, row in enumerate(block.rows):
            for c, cell_runs in enumerate(row):
                paragraph = table.cell(r, c).paragraphs[0]
                self._runs(paragraph, cell_runs, bold=r in block.bold_rows)
        doc.add_paragraph()  # type: ignore[attr-defined]
