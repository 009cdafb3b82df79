"""The đề án template: loaded and checked at start, then composed into a document model.

Composing is pure (answers in, blocks out) so the bot layer only lays blocks out in DOCX.
The layout follows the administrative document form of Nghị định 30/2020/NĐ-CP, Phụ lục I:
a two-column header (issuer left; Quốc hiệu and underlined Tiêu ngữ right), the place-and-date
line under the Tiêu ngữ, and a signature block (recipients left, signer right).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from knowledge.search.normalise import fold
from knowledge.topics import STATUS_KEYS
from knowledge.yamlfile import KnowledgeError, LineDict, load_mapping

# Values computed from the answers rather than typed by the owner.
DERIVED = frozenset(
    {
        "today",
        "place",
        "day",
        "month",
        "year",
        "establishment_upper",
        "workforce",
        "difficult_area",
        "project_name",
        "support_label",
        "counterpart",
        "requested_percent",
        "counterpart_percent",
        "support_limit",
        "budget_notes",
        "commitment_funding",
        "commitment_counterpart",
        "baseline_scale",
    }
)
_TOKEN = re.compile(r"\{([a-z_][a-z0-9_]*)\}|\[\[(.+?)\]\]")
# A citation of a legal text inside the template: such a block needs `source` and `status`.
_CITES_LAW = re.compile(r"\b(?:Nghị định|Thông tư|NĐ|TT)(?: số)? \d+/\d{4}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TableSpec(_Strict):
    columns: tuple[str, ...] = Field(min_length=1)
    rows: tuple[tuple[str, ...], ...] = Field(min_length=1)
    bold_rows: tuple[int, ...] = ()


class BlockSpec(_Strict):
    when: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    text: str | None = None
    bullets: tuple[str, ...] | None = None
    table: TableSpec | None = None
    # A block that states a legal fact names its source and its status keys
    # (knowledge/topics.py STATUS_KEYS); the draft prints the status in words under it.
    source: str | None = None
    status: tuple[str, ...] = ()

    @field_validator("status")
    @classmethod
    def _known_status(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [v for v in value if v not in STATUS_KEYS or v == "guide"]
        if unknown:
            raise ValueError(f"unknown status {unknown[0]!r} (use {', '.join(STATUS_KEYS)})")
        return value

    def strings(self) -> list[str]:
        cells = [c for row in self.table.rows for c in row] if self.table else []
        return [*([self.text] if self.text else []), *(self.bullets or ()), *cells]


class SectionSpec(_Strict):
    heading: str
    blocks: tuple[BlockSpec, ...] = Field(min_length=1)


class MastheadSpec(_Strict):
    """NĐ 30/2020 Phụ lục I mục II: issuer (left), Quốc hiệu and Tiêu ngữ (right), place-date."""

    issuer: tuple[str, ...] = Field(min_length=1)
    national_title: str = Field(min_length=1)
    motto: str = Field(min_length=1)
    place_date: str = Field(min_length=1)


class SignatureSpec(_Strict):
    """Recipients (left, "Nơi nhận") and the signer (right): capacity, note, room, full name."""

    recipients: tuple[str, ...] = ()
    capacity: str = Field(min_length=1)
    note: str = ""
    name: str = Field(min_length=1)


class DeAnTemplate(_Strict):
    version: int
    file_prefix: str = Field(pattern=r"^[A-Za-z0-9-]{1,40}$")
    masthead: MastheadSpec
    title: str
    name: str
    draft_note: str
    sections: tuple[SectionSpec, ...] = Field(min_length=8)
    signature: SignatureSpec


# The document model handed to a renderer: text runs, some marked for the officer.
# `placeholder`: the officer must fill it in (yellow, italic); `flagged`: the owner's own words
# the officer should check (yellow, e.g. typed without diacritics). A run whose text is exactly
# LINE ends a line inside a "columns" cell.
@dataclass(frozen=True, slots=True)
class Run:
    text: str
    placeholder: bool = False
    bold: bool = False
    italic: bool = False
    underline: bool = False
    flagged: bool = False


LINE = "\n"


@dataclass(frozen=True, slots=True)
class Block:
    # "heading", "paragraph", "bullet", "table", or "columns" (a borderless two-column layout:
    # the masthead, the signature block; style "masthead" or "signature").
    kind: str
    runs: tuple[Run, ...] = ()
    rows: tuple[tuple[tuple[Run, ...], ...], ...] = ()
    bold_rows: tuple[int, ...] = ()
    style: str = ""  # "center", "bold-center", "title", "note", "right", "masthead", "signature"


@dataclass(frozen=True, slots=True)
class DraftDocument:
    file_stem: str
    blocks: tuple[Block, ...]
    def plain_text(self) -> str:
        """All text in reading order, for tests and the officer's CSV export."""
        lines: list[str] = []
        for block in self.blocks:
            if block.kind == "table":
                lines += [" | ".join(_join(c) for c in row) for row in block.rows]
            elif block.kind == "columns":
                lines += [_join(cell) for row in block.rows for cell in row if _join(cell)]
            else:
                lines.append(_join(block.runs))
        return "\n".join(lines)


def _join(runs: tuple[Run, ...]) -> str:
    return "".join(r.text for r in runs)


def load_template(path: Path, known_fields: set[str]) -> DeAnTemplate:
    data = load_mapping(path, "(version, title, sections…)")
    try:
        template = DeAnTemplate.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = [str(p) for p in error["loc"]]
        raise KnowledgeError(path, _line(data, loc), f"{'.'.join(loc)}: {error['msg']}") from None
    for s_index, section in enumerate(template.sections):
        for b_index, spec in enumerate(section.blocks):
            if any(_CITES_LAW.search(s) for s in spec.strings()) and not (
                spec.source and spec.status
            ):
                loc = ["sections", str(s_index), "blocks", str(b_index)]
                raise KnowledgeError(
                    path,
                    _line(data, loc),
                    f"{'.'.join(loc)}: a legal fact needs source and status",
                )
    allowed = known_fields | DERIVED
    _check_no_repeats(path, data, template)
    for key, value in _strings(data, []):
        for match in _TOKEN.finditer(value[1]):
            if match[1] and match[1] not in allowed:
                raise KnowledgeError(path, value[0], f"{key}: unknown field {{{match[1]}}}")
    return template


def _check_no_repeats(path: Path, data: LineDict, template: DeAnTemplate) -> None:
    """No sentence of the template's own text, nor a paragraph holding only one field's
    value, may appear in two sections (an officer would read the same sentence twice)."""
    where: dict[str, int] = {}
    for index, section in enumerate(template.sections):
        texts = [b.text for b in section.blocks if b.text] + [
            t for b in section.blocks for t in b.bullets or ()
        ]
        for text in texts:
            keys = sentences(_TOKEN.sub("", text))
            keys += [f"{{{m[1]}}}" for m in _TOKEN.finditer(text) if m[1] and _alone(text, m[1])]
            for key in keys:
                if where.setdefault(key, index) != index:
                    line = _line(data, ["sections", str(index), "heading"])
                    raise KnowledgeError(
                        path,
                        line,
                        f"sections.{index}: {key!r} already appears in section "
                        f"{template.sections[where[key]].heading!r}; say it once",
                    )


def _alone(text: str, name: str) -> bool:
    """A field whose value is the sentence (after a label such as "Mục tiêu: ")."""
    rest = text.split(":", 1)[-1] if ":" in text.split(f"{{{name}}}")[0] else text
    return rest.strip(" .") == f"{{{name}}}"


def _line(data: Any, loc: list[str]) -> int | None:
    node, line = data, getattr(data, "line", None)
    for part in loc:
        if isinstance(node, LineDict) and part in node:
            line, node = node.line_of(part), node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
            line = getattr(node, "line", line)
        else:
            break
    return line


def _strings(node: Any, path: list[str], line: int = 0) -> list[tuple[str, tuple[int, str]]]:
    """Every string in the file with its dotted key and the nearest known line."""
    found: list[tuple[str, tuple[int, str]]] = []
    if isinstance(node, LineDict):
        for key, value in node.items():
            found += _strings(value, [*path, str(key)], node.line_of(key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _strings(value, [*path, str(i)], getattr(value, "line", line))
    elif isinstance(node, str):
        found.append((".".join(path), (line, node)))
    return found


def fill(
    text: str,
    values: dict[str, str | None],
    labels: dict[str, str],
    flagged: frozenset[str] = frozenset(),
    **style: bool,
) -> tuple[Run, ...]:
    """Text with {field} replaced; missing fields and [[notes]] become officer placeholders.

    Fields named in `flagged` keep the owner's words but are marked for the officer to check;
    `style` (bold, italic, underline) applies to every run.
    """
    runs: list[Run] = []
    pos = 0
    for match in _TOKEN.finditer(text):
        if match.start() > pos:
            runs.append(Run(text[pos : match.start()], **style))
        if match[1]:
            value = values.get(match[1])
            if value:
                runs.append(Run(value, flagged=match[1] in flagged, **style))
            else:
                label = labels.get(match[1], match[1])
                runs.append(Run(f"[Cán bộ bổ sung: {label}]", placeholder=True, **style))
        else:
            runs.append(Run(f"[Cán bộ bổ sung: {match[2]}]", placeholder=True, **style))
        pos = match.end()
    if pos < len(text):
        runs.append(Run(text[pos:], **style))
    return tuple(runs)


def _lines(*lines: tuple[Run, ...]) -> tuple[Run, ...]:
    """Lines of one "columns" cell, separated by LINE runs."""
    out: list[Run] = []
    for i, line in enumerate(lines):
        if i:
            out.append(Run(LINE))
        out.extend(line)
    return tuple(out)


def compose(
    template: DeAnTemplate,
    values: dict[str, str | None],
    answers: dict[str, Any],
    labels: dict[str, str],
    file_stem: str,
    status_lines: Mapping[str, str] | None = None,
    flagged: frozenset[str] = frozenset(),
) -> DraftDocument:
    """The document model of one draft; no sentence is printed in two sections.

    A sentence of the owner's that an earlier section already holds (the same words typed for
    two questions) is replaced by a placeholder for the officer (see `repeated_sentences`).
    `status_lines` maps status keys to their plain words (ui `faq.status.<key>`); a block with
    a status gets them as a note paragraph under it. `flagged` names the values typed without
    diacritics, highlighted for the officer.
    """

    def put(text: str, **style: bool) -> tuple[Run, ...]:
        return fill(text, values, labels, flagged, **style)

    head = template.masthead
    issuer = _lines(*(put(line, bold=True) for line in head.issuer))
    national = _lines(
        put(head.national_title, bold=True), put(head.motto, bold=True, underline=True)
    )
    blocks: list[Block] = [
        Block(
            "columns",
            rows=((issuer, national), ((), put(head.place_date, italic=True))),
            style="masthead",
        ),
        Block("heading", put(template.title), style="title"),
        Block("paragraph", put(template.name), style="bold-center"),
        Block("paragraph", put(template.draft_note), style="note"),
    ]
    printed: set[str] = set()
    for section in template.sections:
        blocks.append(Block("heading", (Run(section.heading),)))
        for spec in section.blocks:
            if not all(answers.get(f) in allowed for f, allowed in spec.when.items()):
                continue
            if spec.text is not None:
                blocks.append(Block("paragraph", put(spec.text)))
            for bullet in spec.bullets or ():
                blocks.append(Block("bullet", put(bullet)))
            if spec.table is not None:
                header = tuple((Run(c),) for c in spec.table.columns)
                rows = tuple(tuple(put(cell) for cell in row) for row in spec.table.rows)
                bold = tuple(i + 1 for i in spec.table.bold_rows)
                blocks.append(Block("table", rows=(header, *rows), bold_rows=(0, *bold)))
            # Each status is printed once, under the first block that rests on it: the same
            # sentence in two sections is what NĐ 30 layout (and the no-repeat rule) avoids.
            lines = status_lines or {}
            fresh = [s for s in spec.status if s in lines]
            notes = [lines[s] for s in fresh if s not in printed]
            printed.update(fresh)
            if notes:
                blocks.append(Block("paragraph", (Run(" ".join(notes)),), style="note"))
    sign = template.signature
    recipients = _lines(
        *(put(line, bold=i == 0, italic=i == 0) for i, line in enumerate(sign.recipients))
    )
    signer = _lines(
        put(sign.capacity, bold=True),
        *([put(sign.note, italic=True)] if sign.note else []),
        # Room to sign (and stamp): NĐ 30/2020 Phụ lục I leaves the space between capacity
        # and full name.
        (),
        (),
        (),
        (),
        put(sign.name, bold=True),
    )
    blocks.append(Block("columns", rows=((recipients, signer),), style="signature"))
    return DraftDocument(file_stem=file_stem, blocks=tuple(_without_repeats(blocks)))


_SENTENCE_END = re.compile(r"(?<=[.;:!?])\s+|\n")
_MIN_SENTENCE_WORDS = 4


def sentences(text: str) -> list[str]:
    """Sentences (and clauses after ':' or ';') of at least four words, compared folded."""
    out = []
    for part in _SENTENCE_END.split(text):
        words = fold(part).strip(" .;:!?").split()
        if len(words) >= _MIN_SENTENCE_WORDS:
            out.append(" ".join(words))
    return out


def _written(runs: tuple[Run, ...]) -> str:
    """The text of runs without the officer's placeholders (each ends a sentence)."""
    return "".join("\n" if r.placeholder else r.text for r in runs)


def _sections(blocks: list[Block]) -> list[list[Block]]:
    groups: list[list[Block]] = [[]]
    for block in blocks:
        if block.kind == "heading" and block.style != "title":
            groups.append([])
        groups[-1].append(block)
    return groups


def _without_repeats(blocks: list[Block]) -> list[Block]:
    seen: set[str] = set()
    out: list[Block] = []
    for group in _sections(blocks):
        here: set[str] = set()
        for block in group:
            if block.kind in ("paragraph", "bullet"):
                runs = tuple(
                    Run(
                        "[Cán bộ bổ sung: nội dung riêng cho mục này, không lặp lại mục trước]",
                        placeholder=True,
                    )
                    if not run.placeholder and seen.intersection(sentences(run.text))
                    else run
                    for run in block.runs
                )
                block = Block(block.kind, runs, block.rows, block.bold_rows, block.style)
                here.update(sentences(_written(block.runs)))
            out.append(block)
        seen |= here
    return out


def repeated_sentences(draft: DraftDocument) -> list[str]:
    """Sentences (folded) printed in more than one section of the draft; [] when none."""
    where: dict[str, int] = {}
    repeated: list[str] = []
    for index, group in enumerate(_sections(list(draft.blocks))):
        for block in group:
            if block.kind not in ("paragraph", "bullet"):
                continue
            for sentence in sentences(_written(block.runs)):
                if where.setdefault(sentence, index) != index and sentence not in repeated:
                    repeated.append(sentence)
    return repeated
