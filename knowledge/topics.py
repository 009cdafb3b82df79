"""Loads and validates the question-answer topics of `knowledge/topics/*.yaml` (SPEC §3)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from knowledge.ui import UiTexts
from knowledge.yamlfile import KnowledgeError, LineDict, load_yaml

# SPEC §3: the support contents an establishment can be offered (eligibility answers name them).
SUPPORT_TOPIC_IDS = (
    "dao_tao_nghe",
    "nang_luc_quan_ly",
    "mo_hinh_trinh_dien",
    "may_moc_thiet_bi",
    "san_pham_tieu_bieu",
    "hoi_cho_trien_lam",
    "thuong_hieu",
    "tu_van",
    "xu_ly_o_nhiem",
    "san_xuat_sach_hon",
    "cum_cong_nghiep",
)
# SPEC §3: every answerable question maps to exactly one of these ids.
SPEC_TOPIC_IDS = (
    "khuyen_cong_la_gi",
    "van_ban_phap_ly",
    "doi_tuong",
    "dia_ban",
    "dnnvv",
    "nganh_nghe",
    "khong_ho_tro",
    "uu_tien",
    "noi_dung_ho_tro",
    *SUPPORT_TOPIC_IDS,
    "muc_ho_tro",
    "doi_ung",
    "quoc_gia_dia_phuong",
    "ho_so",
    "noi_nop",
    "thoi_han",
    "quy_trinh",
    "tham_dinh",
    "tam_ung",
    "nghiem_thu_quyet_toan",
    "dieu_chinh",
    "bao_cao",
    "de_an_diem",
    "mau_de_an",
    "ocop",
    "tro_giup",
)
# Telegram refuses messages over 4,096 characters; a first answer should fit a phone screen.
TELEGRAM_LIMIT = 4096
MAX_FIRST_ANSWER = 900
MAX_MORE_PAGE = 1500
MAX_TITLE = 40
# Legal status of a topic's facts, shown in plain words (ui `faq.status.<key>`):
#   in_force  the cited text is in force and no amendment is known;
#   nd235     NĐ 45/2012 as amended by NĐ 235/2025 (27/8/2025), amendment not read;
#   tt64      TT 28/2018 as amended by TT 64/2024, amendment not read;
#   tt139     money rules possibly replaced by TT 139/2026/TT-BTC (25/9/2026), text not read;
#   tt66      national plan, dossier, advances, settlement possibly replaced by
#             TT 66/2026/TT-BCT (06/10/2026), text not read;
#   district  the text relies on the district level, gone since 01/7/2025;
#   local     set by each province;
#   guide     not a legal fact (how to use the bot).
STATUS_KEYS = ("in_force", "nd235", "tt64", "tt139", "tt66", "district", "local", "guide")
ALONE_STATUSES = frozenset({"in_force", "guide"})
# What a topic's `next:` may offer after its answer (handlers/menu.py turns each into a button).
NEXT_STEPS = frozenset({"elig", "intake"})


@dataclass(frozen=True, slots=True)
class Topic:
    id: str
    title: str
    answer: str
    more: tuple[str, ...]
    sources: tuple[str, ...]
    statuses: tuple[str, ...]
    reviewed: dt.date
    next: tuple[str, ...]
    related: tuple[str, ...]
    examples: tuple[str, ...]
    keywords: tuple[str, ...]
    path: str
    line: int
    related_line: int

    @property
    def phrasings(self) -> tuple[str, ...]:
        # Keywords are the decisive terms an officer chose: counted twice in the index.
        return (self.title, *self.examples, *self.keywords, *self.keywords)


class TopicSet:
    def __init__(self, topics: dict[str, Topic]) -> None:
        self._topics = topics

    def __len__(self) -> int:
        return len(self._topics)

    def __iter__(self) -> Iterator[Topic]:
        return iter(self._topics.values())

    def __contains__(self, topic_id: object) -> bool:
        return topic_id in self._topics

    def get(self, topic_id: str) -> Topic | None:
        return self._topics.get(topic_id)

    def __getitem__(self, topic_id: str) -> Topic:
        return self._topics[topic_id]


def _text(path: Path, item: LineDict, key: str, limit: int, tid: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value.strip():
        raise KnowledgeError(path, item.line_of(key), f"{tid}: '{key}' must be a non-empty text")
    value = value.strip()
    if len(value) > limit:
        raise KnowledgeError(
            path, item.line_of(key), f"{tid}: '{key}' has {len(value)} characters (max {limit})"
        )
    return value


def _strings(path: Path, item: LineDict, key: str, tid: str, minimum: int) -> tuple[str, ...]:
    value = item.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise KnowledgeError(path, item.line_of(key), f"{tid}: '{key}' must be a list of texts")
    if len(value) < minimum:
        raise KnowledgeError(
            path,
            item.line_of(key) if key in item else item.line,
            f"{tid}: '{key}' needs at least {minimum} entr{'y' if minimum == 1 else 'ies'}",
        )
    return tuple(v.strip() for v in value)


def _statuses(path: Path, item: LineDict, tid: str) -> tuple[str, ...]:
    """`status:` is required: one key or a list of keys of STATUS_KEYS."""
    raw = item.get("status")
    values = [raw] if isinstance(raw, str) else raw
    line = item.line_of("status")
    if not isinstance(values, list) or not values:
        raise KnowledgeError(path, line, f"{tid}: 'status' is required ({', '.join(STATUS_KEYS)})")
    for value in values:
        if value not in STATUS_KEYS:
            raise KnowledgeError(path, line, f"{tid}: unknown status {value!r}")
    if len(values) > 1 and ALONE_STATUSES & set(values):
        raise KnowledgeError(path, line, f"{tid}: in_force and guide stand alone")
    return tuple(values)


def _topic(path: Path, item: LineDict) -> Topic:
    tid = item.get("id")
    if not isinstance(tid, str) or tid not in SPEC_TOPIC_IDS:
        raise KnowledgeError(path, item.line_of("id"), f"unknown topic id {tid!r} (SPEC §3)")
    more = _strings(path, item, "more", tid, 0)
    for number, page in enumerate(more, start=1):
        if len(page) > MAX_MORE_PAGE:
            raise KnowledgeError(
                path, item.line_of("more"), f"{tid}: 'more' page {number} is too long"
            )
    statuses = _statuses(path, item, tid)
    reviewed = item.get("reviewed")
    if not isinstance(reviewed, dt.date):
        raise KnowledgeError(
            path, item.line_of("reviewed"), f"{tid}: 'reviewed' must be a date (YYYY-MM-DD)"
        )
    steps = _strings(path, item, "next", tid, 0)
    if any(s not in NEXT_STEPS for s in steps):
        raise KnowledgeError(path, item.line_of("next"), f"{tid}: 'next' allows elig, intake")
    return Topic(
        id=tid,
        title=_text(path, item, "title", MAX_TITLE, tid),
        answer=_text(path, item, "answer", MAX_FIRST_ANSWER, tid),
        more=more,
        sources=_strings(path, item, "sources", tid, 1),
        statuses=statuses,
        reviewed=reviewed,
        next=steps,
        related=_strings(path, item, "related", tid, 0),
        examples=_strings(path, item, "examples", tid, 3),
        keywords=_strings(path, item, "keywords", tid, 0),
        path=str(path),
        line=item.line,
        related_line=item.line_of("related"),
    )


def load_topics(folder: Path, examples: Path | None = None) -> TopicSet:
    """Every SPEC topic exactly once, with sources and valid related links; the phrasings of
    `examples/<topic_id>.yaml` (when that folder is given) are added to each topic's own."""
    topics: dict[str, Topic] = {}
    for path in sorted(folder.glob("*.yaml")):
        data = load_yaml(path)
        if not isinstance(data, list):
            raise KnowledgeError(path, 1, "expected a list of topics")
        for item in data:
            if not isinstance(item, LineDict):
                raise KnowledgeError(path, None, "each topic must be a mapping")
            topic = _topic(path, item)
            if topic.id in topics:
                first = topics[topic.id]
                raise KnowledgeError(
                    path, item.line, f"{topic.id!r} already defined at {first.path}:{first.line}"
                )
            topics[topic.id] = topic
    missing = [tid for tid in SPEC_TOPIC_IDS if tid not in topics]
    if missing:
        raise KnowledgeError(folder, None, f"missing SPEC topic {missing[0]!r}")
    for topic in topics.values():
        for rid in topic.related:
            if rid not in topics or rid == topic.id:
                raise KnowledgeError(
                    topic.path, topic.related_line, f"{topic.id}: broken related topic {rid!r}"
                )
    if examples is not None:
        for tid, extra in load_example_files(examples).items():
            topic = topics[tid]
            topics[tid] = replace(topic, examples=topic.examples + extra)
    return TopicSet(topics)


def load_example_files(folder: Path) -> dict[str, tuple[str, ...]]:
    """`<folder>/<topic_id>.yaml`, each a YAML list of phrasings, by topic id.

    A missing or empty folder gives {}. Raises KnowledgeError (file:line) for a file not
    named after a SPEC §3 topic, an item that is not a non-empty text, or a phrasing given
    twice in the folder (compared case- and space-insensitively): under two topics it would
    be a guaranteed ambiguity.
    """
    found: dict[str, tuple[str, ...]] = {}
    if not folder.is_dir():
        return found
    seen: dict[str, str] = {}
    for path in sorted(folder.glob("*.yaml")):
        if path.stem not in SPEC_TOPIC_IDS:
            raise KnowledgeError(path, 1, f"unknown topic id {path.stem!r} (SPEC §3)")
        lines = path.read_text(encoding="utf-8").splitlines()
        data = load_yaml(path)
        if data is None:
            continue
        if not isinstance(data, list):
            raise KnowledgeError(path, 1, "expected a list of phrasings")
        phrasings = []
        line = 0
        for item in data:
            line = _line_of_item(lines, item, line)
            if not isinstance(item, str) or not item.strip():
                raise KnowledgeError(path, line, f"expected a non-empty text, got {item!r}")
            key = " ".join(item.lower().split())
            if key in seen:
                raise KnowledgeError(path, line, f"duplicate phrasing (first at {seen[key]})")
            seen[key] = f"{path.name}:{line}"
            phrasings.append(item.strip())
        found[path.stem] = tuple(phrasings)
    return found


def _line_of_item(lines: list[str], item: object, after: int) -> int:
    """The line of a list item (plain YAML lists carry no marks): the next line after the
    previous item's that starts a list item and holds its text."""
    text = str(item).strip()[:20]
    for number in range(after + 1, len(lines) + 1):
        line = lines[number - 1].lstrip()
        if line.startswith("-") and text in line:
            return number
    return after + 1


def status_text(ui: UiTexts, statuses: Iterable[str]) -> str:
    """Plain-Vietnamese lines for status keys (knowledge/topics.py STATUS_KEYS); "" for a
    guide text. Each line comes from ui `faq.status.<key>`."""
    lines = [ui.text(f"faq.status.{s}") for s in statuses if s != "guide"]
    if not lines:
        return ""
    if lines == [ui.text("faq.status.in_force")]:
        return lines[0]
    items = "\n".join(f"• {line}" for line in lines)
    return f"{ui.text('faq.status_header')}\n{items}\n{ui.text('faq.status_footer')}"
