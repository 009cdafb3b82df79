"""The đề án template: loaded and checked at start, then composed into a document model.

Composing is pure (answers in, blocks out) so the bot layer only lays blocks out in DOCX.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from knowledge.topics import STATUS_KEYS
from knowledge.yamlfile import KnowledgeError, LineDict, load_mapping

# Values computed from the answers rather than typed by the owner.
DERIVED = frozenset(
    {
        "today",
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


class DeAnTemplate(_Strict):
    version: int
    file_prefix: str = Field(pattern=r"^[A-Za-z0-9-]{1,40}$")
    header: tuple[str, ...]
    title: str
    name: str
    draft_note: str
    sections: tuple[SectionSpec, ...] = Field(min_length=8)
    signature: tuple[str, ...] = ()


# The document model handed to a renderer: text runs, some marked for the officer.
@dataclass(frozen=True, slots=True)
class Run:
    text: str
    placeholder: bool = False


@dataclass(frozen=True, slots=True)
class Block:
    kind: str  # "heading", "paragraph", "bullet", "table"
    runs: tuple[Run, ...] = ()
    rows: tuple[tuple[tuple[Run, ...], ...], ...] = ()
    bold_rows: tuple[int, ...] = ()
    style: str = ""  # "center", "bold-center", "title", "note", "right"


@dataclass(frozen=True, slots=True)
class DraftDocument:
    file_stem: str
    blocks: tuple[Block, ...]


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
    for key, value in _strings(data, []):
        for match in _TOKEN.finditer(value[1]):
            if match[1] and match[1] not in allowed:
                raise KnowledgeError(path, value[0], f"{key}: unknown field {{{match[1]}}}")
    return template


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


def fill(text: str, values: dict[str, str | None], labels: dict[str, str]) -> tuple[Run, ...]:
    """Text with {field} replaced; missing fields and [[notes]] become officer placeholders."""
    runs: list[Run] = []
    pos = 0
    for match in _TOKEN.finditer(text):
        if match.start() > pos:
            runs.append(Run(text[pos : match.start()]))
        if match[1]:
            value = values.get(match[1])
            if value:
                runs.append(Run(value))
            else:
                label = labels.get(match[1], match[1])
                runs.append(Run(f"[Cán bộ bổ sung: {label}]", placeholder=True))
        else:
            runs.append(Run(f"[Cán bộ bổ sung: {match[2]}]", placeholder=True))
        pos = match.end()
    if pos < len(text):
        runs.append(Run(text[pos:]))
    return tuple(runs)


def compose(
    template: DeAnTemplate,
    values: dict[str, str | None],
    answers: dict[str, Any],
    labels: dict[str, str],
    file_stem: str,
    status_lines: Mapping[str, str] | None = None,
) -> DraftDocument:
    """`status_lines` maps status keys to their plain words (ui `faq.status.<key>`); a block
    with a status gets them as a note paragraph under it."""
    blocks: list[Block] = [
        Block("paragraph", fill(h, values, labels), style="bold-center") for h in template.header
    ]
    blocks.append(Block("heading", fill(template.title, values, labels), style="title"))
    blocks.append(Block("paragraph", fill(template.name, values, labels), style="bold-center"))
    blocks.append(Block("paragraph", fill(template.draft_note, values, labels), style="note"))
    for section in template.sections:
        blocks.append(Block("heading", (Run(section.heading),)))
        for spec in section.blocks:
            if not all(answers.get(f) in allowed for f, allowed in spec.when.items()):
                continue
            if spec.text is not None:
                blocks.append(Block("paragraph", fill(spec.text, values, labels)))
            for bullet in spec.bullets or ():
                blocks.append(Block("bullet", fill(bullet, values, labels)))
            if spec.table is not None:
                header = tuple((Run(c),) for c in spec.table.columns)
                rows = tuple(
                    tuple(fill(cell, values, labels) for cell in row) for row in spec.table.rows
                )
                bold = tuple(i + 1 for i in spec.table.bold_rows)
                blocks.append(Block("table", rows=(header, *rows), bold_rows=(0, *bold)))
            notes = [status_lines[s] for s in spec.status if status_lines and s in status_lines]
            if notes:
                blocks.append(Block("paragraph", (Run(" ".join(notes)),), style="note"))
    for line in template.signature:
        blocks.append(Block("paragraph", fill(line, values, labels), style="right"))
    return DraftDocument(file_stem=file_stem, blocks=tuple(blocks))
