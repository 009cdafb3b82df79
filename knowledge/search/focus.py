"""Finds the sentence(s) of a message that carry the question, so that a long story about a
workshop does not drown "có được hỗ trợ máy không" (issue 11: long questions 10 % → 80 %).

Sentences are split at . ? ! ; and line breaks; a long single sentence also at commas and
"nhưng/mà/còn". Each piece is scored by the question words it holds (folded: "khong", "gi",
"bao nhieu", "o dau", "duoc khong", chat forms "ko", "k", "hong", "j", and a "?").

The vote reads a story whole and the asking pieces once more for the classifier
(`QUESTION_WEIGHT`); the asking pieces alone lost the subject of stories whose question only
points at it. `Focus.questions` still finds a second question in one message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.search.normalise import MAX_QUERY_CHARS, fold

_SENTENCE = re.compile(r"[.?!;\n]+|…")
_CLAUSE = re.compile(r",|\s(?=(?:nhung|ma|con|voi lai|the)\s)")
# Question words and phrases after folding; two-syllable ones are matched as phrases.
_QUESTION_WORDS = frozenset(
    ("khong", "ko", "k", "hong", "hok", "hem", "kg", "khg", "chua", "gi", "j", "nao", "sao")
    + ("ai", "nhieu", "bn", "ntn", "nhe", "ha", "nhi", "chang")
)
_QUESTION_PHRASES = (
    "bao nhieu",
    "o dau",
    "the nao",
    "ra sao",
    "lam sao",
    "duoc khong",
    "dc ko",
    "duoc ko",
    "bao gio",
    "khi nao",
    "bao lau",
    "co phai",
    "hay khong",
    "cach nao",
    "phai lam",
    "can gi",
    "gom nhung",
    "la gi",
    "nhu the nao",
    "muon hoi",
    "cho hoi",
    "xin hoi",
)
# Words that hold "không" without asking (air, space, vacuum, aviation): removed before the
# question words are counted ("máy đóng gói hút chân không" is not a question).
_NOT_ASKING = re.compile(r"\b(?:khong (?:khi|gian)|(?:chan|hang) khong)\b")
# Below this many syllables a message is one question, whatever its commas.
LONG_MESSAGE = 18
# The answerer reads a story whole (its subject is often in the story: "Tôi định mua lò sấy
# điện. Có được hỗ trợ không?") and the asking sentences once more at this weight for the
# classifier, so that a specific question still outweighs the story (knowledge/answers.py;
# chosen on the k-fold estimate and bench/data/probe_long.jsonl, 0.5 against 1.0 and 2.0).
QUESTION_WEIGHT = 0.5


@dataclass(frozen=True, slots=True)
class Focus:
    """`question`: the piece(s) that ask; `context`: the rest (weak evidence);
    `questions`: each asking piece on its own, in order (two questions in one message)."""

    question: str
    context: str
    questions: tuple[str, ...]


def pieces(text: str) -> list[str]:
    """Sentences, and for a long run-on sentence its clauses."""
    text = text[:MAX_QUERY_CHARS]
    parts = []
    for sentence in _SENTENCE.split(text):
        if not sentence.strip():
            continue
        if len(sentence.split()) > LONG_MESSAGE:
            folded = fold(sentence)
            cuts = [0, *(m.start() for m in _CLAUSE.finditer(folded)), len(sentence)]
            parts += [sentence[a:b].strip(" ,") for a, b in zip(cuts, cuts[1:], strict=False)]
        else:
            parts.append(sentence.strip())
    # A question mark ends the sentence it belongs to: keep it on that piece.
    marked = {m.start() for m in re.finditer(r"\?", text)}
    out = []
    for part in parts:
        if not part:
            continue
        at = text.find(part)
        end = at + len(part)
        out.append(part + "?" if at >= 0 and end in marked else part)
    return out


def question_score(piece: str) -> float:
    """How much a piece reads as a question: a "?" or a question word or phrase."""
    folded = " ".join(re.sub(r"[^\w?]", " ", fold(piece)).split())
    folded = _NOT_ASKING.sub(" ", folded)
    words = folded.replace("?", " ").split()
    score = 2.0 if "?" in folded else 0.0
    score += sum(1.0 for w in words if w in _QUESTION_WORDS)
    padded = f" {' '.join(words)} "
    score += sum(1.5 for p in _QUESTION_PHRASES if f" {p} " in padded)
    return score


def whole(text: str) -> str:
    """The message as the answerer reads a story: every piece, in order."""
    return " ".join(pieces(text))


def focus(text: str) -> Focus:
    """Split a message into its question part and context; a one-piece message, or one
    with no question word at all, is all question."""
    parts = pieces(text)
    if len(parts) <= 1:
        whole = text.strip()
        return Focus(whole, "", (whole,) if whole else ())
    scores = [question_score(p) for p in parts]
    if max(scores) == 0:
        whole = " ".join(parts)
        return Focus(whole, "", (whole,))
    asking = [p for p, s in zip(parts, scores, strict=True) if s > 0]
    rest = [p for p, s in zip(parts, scores, strict=True) if s == 0]
    return Focus(" ".join(asking), " ".join(rest), tuple(asking))
