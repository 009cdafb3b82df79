"""Reads eligibility answers out of free Vietnamese text ("hộ kinh doanh làm bún ở xã").

Text and vocabulary are accent-folded the same way, so typing without diacritics works.
Longer phrases win and consume their words first, so "hợp tác xã" is an entity type and not
the site "xã". rapidfuzz repairs small typos in phrases of several words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import InvalidOperation
from typing import Any

from rapidfuzz import fuzz

from knowledge.eligibility.answers import BOOLEAN_KEYS
from knowledge.eligibility.schema import EligibilityRules
from knowledge.parsing.counts import parse_count
from knowledge.parsing.errors import ParseError
from knowledge.parsing.money import _CURRENCY, _FILLER, number_tokens, parse_money, read_decimal
from knowledge.parsing.yes_no import read_yes_no
from knowledge.search.normalise import fold as fold_letters

# đ/Đ (and the look-alike Ð) have no decomposition, so NFD would leave them in place.
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_NEGATIONS = frozenset({"chua", "khong", "ko", "k", "kg", "chang"})
# Not a SPEC §4 value: an enterprise whose size the dialogue still has to ask.
ENTERPRISE = "doanh_nghiep"
# Cap before matching: a question is never longer than this.
_MAX_CHARS = 500
_FUZZY_CUTOFF = 88
_MONEY_FILLER = _FILLER | _CURRENCY


def fold(text: str) -> str:
    """Folded words of [a-z0-9] separated by one space."""
    return " ".join(_NOT_WORD.sub(" ", fold_letters(text)).split())


def yes_no(text: str) -> bool | None:
    folded = fold(text)
    whole = read_yes_no(folded)
    if whole is not None:
        return whole
    first = folded.split()[:1]
    if first in (["khong"], ["chua"], ["ko"]):
        return False
    if first in (["co"], ["dung"], ["roi"]):
        return True
    return None


_NUMBER = r"(\d+(?:[.,]\d+)*)"


def parse_number(raw: str) -> float:
    """Vietnamese digits: "1.500" is fifteen hundred, "1,5" is one and a half.

    The intake's reader (`knowledge.parsing.money.read_decimal`); ParseError for "1,5,5".
    """
    return float(read_decimal(raw))


def number_in(text: str, *, money: bool) -> float | None:
    """The figure a reply at a number step gives, read as the intake reads it: a count
    ("35 cn", "hai chục người"; never "20 tỷ") or money in billions ("500 triệu" → 0.5,
    "3 củ", "1tỷ2"; a bare "2" at a money step is 2 tỷ). None when there is no single figure.
    """
    try:
        if not money:
            return float(parse_count(text))
        return parse_money(text) / 1e9
    except ParseError:
        pass
    if not money:
        return None
    tokens = [t for t in number_tokens(text) if t not in _MONEY_FILLER]
    if len(tokens) != 1 or not tokens[0][:1].isdigit():
        return None
    try:
        return parse_number(tokens[0])
    except (ParseError, InvalidOperation):
        return None


def fold_keep_digits(text: str) -> str:
    """Like fold, but keeps the separators inside numbers (1.500, 1,5)."""
    return " ".join(re.sub(r"[^a-z0-9.,]+", " ", fold_letters(text)).split())


_FIGURES = (
    ("employees", re.compile(_NUMBER + r"\s*(?:nguoi|lao dong|cong nhan|nhan vien|ld)\b"), False),
    (
        "revenue_billion",
        re.compile(r"doanh thu\D{0,20}?" + _NUMBER + r"\s*(ty|trieu)"),
        True,
    ),
    (
        "capital_billion",
        re.compile(r"(?:nguon von|von)\D{0,20}?" + _NUMBER + r"\s*(ty|trieu)"),
        True,
    ),
)


@dataclass(frozen=True, slots=True)
class _Phrase:
    words: tuple[str, ...]
    key: str
    value: Any


class AnswerReader:
    """Maps free text to SPEC §4 answers using the `values` vocabulary of the rules file."""

    def __init__(self, rules: EligibilityRules) -> None:
        phrases: dict[tuple[str, ...], _Phrase] = {}
        for key, options in rules.values.items():
            for raw, info in options.items():
                value: Any = (raw == "true") if key in BOOLEAN_KEYS else raw
                for word in info.words:
                    words = tuple(fold(word).split())
                    if words and words not in phrases:
                        phrases[words] = _Phrase(words, key, value)
        for word in rules.enterprise_words:
            words = tuple(fold(word).split())
            phrases.setdefault(words, _Phrase(words, "entity_type", ENTERPRISE))
        self._phrases = sorted(phrases.values(), key=lambda p: (-len(p.words), p.words))
        self._labels = {
            key: {raw: fold(info.label) for raw, info in options.items()}
            for key, options in rules.values.items()
        }

    def read(self, text: str) -> dict[str, Any]:
        """Every answer the sentence states; keys it does not mention are absent."""
        folded = fold_keep_digits(text[:_MAX_CHARS])
        found: dict[str, Any] = {}
        for key, pattern, money in _FIGURES:
            match = pattern.search(folded)
            if match:
                try:
                    value = parse_number(match.group(1))
                except ParseError:
                    continue  # "1,5,5": no figure rather than a guess
                if money and match.group(2) == "trieu":
                    value /= 1000
                found[key] = value
        tokens = fold(folded).split()
        used = [False] * len(tokens)
        for fuzzy in (False, True):
            for phrase in self._phrases:
                if phrase.key in found:
                    continue
                at = self._find(tokens, used, phrase.words, fuzzy)
                if at is None:
                    continue
                for i in range(at, at + len(phrase.words)):
                    used[i] = True
                found[phrase.key] = self._negated(tokens, at, phrase)
        return found

    @staticmethod
    def _find(
        tokens: list[str], used: list[bool], words: tuple[str, ...], fuzzy: bool
    ) -> int | None:
        size = len(words)
        target = " ".join(words)
        # Fuzzy only for long phrases: short ones ("xa", "han") collide with other words.
        if fuzzy and (size < 2 or len(target) < 8):
            return None
        for start in range(len(tokens) - size + 1):
            if any(used[start : start + size]):
                continue
            window = tokens[start : start + size]
            if tuple(window) == words or (
                fuzzy and fuzz.ratio(" ".join(window), target) >= _FUZZY_CUTOFF
            ):
                return start
        return None

    @staticmethod
    def _negated(tokens: list[str], at: int, phrase: _Phrase) -> Any:
        """ "chưa áp dụng sản xuất sạch hơn" states the opposite of the phrase."""
        if phrase.key in BOOLEAN_KEYS and _NEGATIONS & set(tokens[max(0, at - 3) : at]):
            return not phrase.value
        return phrase.value

    def match_option(self, text: str, key: str) -> str | None:
        """The value of `key` a short typed reply names (a button label or one of its words)."""
        folded = fold(text[:_MAX_CHARS])
        if not folded:
            return None
        read = self.read(text)
        if key in read and not isinstance(read[key], bool):
            return str(read[key])
        best, best_score = None, 0.0
        for raw, label in self._labels.get(key, {}).items():
            score = fuzz.ratio(folded, label)
            if score > best_score:
                best, best_score = raw, score
        return best if best_score >= _FUZZY_CUTOFF else None
