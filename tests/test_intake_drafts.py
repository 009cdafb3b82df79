"""The DOCX/CSV writer on its own: placeholders highlighted, CSV safe for spreadsheets."""

import docx
from docx.enum.text import WD_COLOR_INDEX

from bot.drafts import DocxRenderer
from knowledge.templates.de_an import Block, DraftDocument, Run
from tests.intake_helpers import read_csv


def test_placeholders_are_highlighted(tmp_path):
    draft = DraftDocument(
        "x",
        (
            Block("heading", (Run("I. MỤC"),)),
            Block("paragraph", (Run("Tên: "), Run("[Cán bộ bổ sung: tên]", placeholder=True))),
            Block("table", rows=(((Run("A"),), (Run("B"),)),), bold_rows=(0,)),
        ),
    )
    path, name = DocxRenderer().render(draft, str(tmp_path))
    assert name == "x.docx"
    paragraph = next(p for p in docx.Document(path).paragraphs if p.text.startswith("Tên"))
    marked = [r.text for r in paragraph.runs if r.font.highlight_color == WD_COLOR_INDEX.YELLOW]
    assert marked == ["[Cán bộ bổ sung: tên]"]


def test_csv_cells_cannot_become_formulas(tmp_path):
    path, _ = DocxRenderer().write_csv([["a", "=1+2", "-x", "ok"]], str(tmp_path), "e")
    assert read_csv(path) == [["a", "'=1+2", "'-x", "ok"]]
