"""Legal citations in two forms: the compact one officers and `ask --json` use
("NĐ 45/2012/NĐ-CP Đ4 k3") and the one an owner reads ("khoản 3 Điều 4 Nghị định
45/2012/NĐ-CP"), in the Vietnamese order điểm → khoản → Điều → văn bản."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import ClassVar

# Abbreviations of document types, longest first (TTLT before TT).
DOC_TYPES = (
    ("TTLT", "Thông tư liên tịch"),
    ("NĐ", "Nghị định"),
    ("TT", "Thông tư"),
    ("QĐ", "Quyết định"),
    ("NQ", "Nghị quyết"),
    ("TB", "Thông báo"),
    ("CV", "Công văn"),
)
_DOC_NAME = re.compile(
    r"\b(" + "|".join(abbr for abbr, _ in DOC_TYPES) + r")(?= \d)", flags=re.UNICODE
)
_NAMES = dict(DOC_TYPES)
# "NĐ 45/2012/NĐ-CP", "Luật 04/2017/QH14", "QĐ 2646/QĐ-BCT": a type and a number.
_HEAD = re.compile(
    r"^(?P<doc>(?:" + "|".join(abbr for abbr, _ in DOC_TYPES) + r"|Luật) \d+/[\w/.\-]+)"
    r"(?P<rest>.*)$"
)
_TOKEN = re.compile(r"Đ\d+|k\d+|\d+|[a-zđ](?![\w/])|[–,;]")


def _upto(start: str, end: str, unit: str) -> str:
    """ "Đ2–Đ3" reads "Điều 2, Điều 3"; a longer range "Điều 4 đến Điều 23"."""
    if not end:
        return ""
    joiner = ", " if end.isdigit() and start.isdigit() and int(end) == int(start) + 1 else " đến "
    return f"{joiner}{unit} {end}"


@dataclass
class _Span:
    """A numbered unit, or a range of them ("khoản 1", "Điều 2, Điều 3")."""

    number: str
    upto: str = ""
    unit: ClassVar[str] = ""

    def where(self) -> str:
        return f"{self.unit} {self.number}" + _upto(self.number, self.upto, self.unit)


@dataclass
class _Clause(_Span):
    unit: ClassVar[str] = "khoản"
    points: list[str] = field(default_factory=list)

    def text(self) -> str:
        where = self.where()
        return f"điểm {', '.join(self.points)} {where}" if self.points else where


@dataclass
class _Article(_Span):
    unit: ClassVar[str] = "Điều"
    clauses: list[_Clause] = field(default_factory=list)

    def text(self) -> str:
        parts: list[str] = []
        for clause in self.clauses:
            plain = not clause.points and not clause.upto
            if plain and parts and re.fullmatch(r"khoản [\d, ]+", parts[-1]):
                parts[-1] += f", {clause.number}"
            else:
                parts.append(clause.text())
        return f"{', '.join(parts)} {self.where()}" if parts else self.where()


def expand_doc_names(text: str) -> str:
    """ "sửa bởi TT 17/2018/TT-BCT" → "sửa bởi Thông tư 17/2018/TT-BCT"."""
    return _DOC_NAME.sub(lambda m: _NAMES[m.group(1)], text)


def _locations(rest: str) -> list[_Article] | None:
    articles: list[_Article] = []
    pending_range = False
    for part in _TOKEN.findall(rest):
        if part == "–":
            pending_range = True
            continue
        if part in ",;":
            continue
        if part.isdigit():  # "k1–3": the end of a range written without its letter
            if not pending_range or not articles:
                return None
            target = articles[-1].clauses[-1] if articles[-1].clauses else articles[-1]
            target.upto = part
            pending_range = False
            continue
        if part.startswith("Đ"):
            if pending_range and articles:
                articles[-1].upto = part[1:]
            else:
                articles.append(_Article(part[1:]))
        elif part.startswith("k") and part[1:].isdigit():
            if not articles:
                return None
            clauses = articles[-1].clauses
            if pending_range and clauses:
                clauses[-1].upto = part[1:]
            else:
                clauses.append(_Clause(part[1:]))
        else:
            if not articles or not articles[-1].clauses:
                return None
            articles[-1].clauses[-1].points.append(part)
        pending_range = False
    return articles


def readable(compact: str) -> str:
    """ "NĐ 45/2012/NĐ-CP Đ4 k3" → "khoản 3 Điều 4 Nghị định 45/2012/NĐ-CP";
    "TT 36/2013/TT-BCT Đ10 k1 b (sửa bởi TT 17/2018/TT-BCT)" → "điểm b khoản 1 Điều 10
    Thông tư 36/2013/TT-BCT (sửa bởi Thông tư 17/2018/TT-BCT)". Text that is not a citation
    keeps its words, with document types spelled out."""
    text = compact.strip()
    match = _HEAD.match(text)
    if match is None:
        return expand_doc_names(text)
    doc, rest = match.group("doc"), match.group("rest")
    note = ""
    if "(" in rest:
        rest, _, tail = rest.partition("(")
        note = " (" + expand_doc_names(tail)
    rest = rest.strip()
    document = expand_doc_names(doc)
    if not rest:
        return f"{document}{note}"
    articles = _locations(rest)
    if articles is None or not articles:
        return expand_doc_names(text)
    where = ", ".join(article.text() for article in articles)
    return f"{where} {document}{note}"


def readable_list(compacts: tuple[str, ...] | list[str]) -> str:
    """Several citations for one sentence, separated by "; "."""
    return "; ".join(readable(c) for c in compacts)
