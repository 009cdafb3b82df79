"""Turns what people type on phones into comparable folded syllables (STYLE.md, Part B.1)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

# Longer input is not a question; capping it keeps matching time bounded.
MAX_QUERY_CHARS = 500
_TONE_KEYS = "sfrxj"
_VOWELS = set("aeiouy")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_NUMBER_UNIT = re.compile(r"^(\d+(?:[.,]\d+)?)([a-z]+)$")
_UNITS = {"k": "nghin", "tr": "trieu", "trieu": "trieu", "ty": "ti", "ti": "ti", "cu": "trieu"}
# Nine or more digits (spaces, dots, dashes allowed): phone, ID card and account numbers.
_LONG_NUMBER = re.compile(r"(?<!\d)\+?\d(?:[\s.\-]?\d){8,}")
_URL = re.compile(r"(?:https?://|www\.)\S+")
# consonant + y as a whole syllable (kỹ/kĩ, lý/lí): one spelling so both match.
_IY = re.compile(r"^([bcdghklmnpqrstvx]|ng|nh|th|tr|ch|ph|kh|gh)y$")
_SNAP_CACHE_LIMIT = 4096
# Runs of str.isalnum() characters (re's \w is isalnum() or "_").
_ALNUM_RUN = re.compile(r"[^\W_]+")
_REPAIR_CACHE_LIMIT = 65536


class _FoldTable(dict[int, str]):
    """Code point → the character without its combining marks (NFD, marks of category Mn
    dropped), filled on first sight; `str.translate` then folds a whole text in C."""

    def __missing__(self, code: int) -> str:
        folded = "".join(
            ch
            for ch in unicodedata.normalize("NFD", chr(code))
            if unicodedata.category(ch) != "Mn"
        ).translate(_D)
        if len(self) < _FOLD_TABLE_LIMIT:
            self[code] = folded
        return folded


# đ/Đ have no decomposition; Ð (U+00D0) is a look-alike typed on some keyboards.
_D = str.maketrans("đðÐĐ", "dddd")
# Distinct characters remembered (Vietnamese needs a few hundred; odd input cannot grow it).
_FOLD_TABLE_LIMIT = 4096
_FOLD_TABLE = _FoldTable({code: chr(code) for code in range(128)})


def fold(text: str) -> str:
    """NFC, lower case, diacritics removed, đ→d: "Được Hỗ Trợ" → "duoc ho tro"."""
    lowered = unicodedata.normalize("NFC", text).lower()
    if lowered.isascii():
        return lowered
    return unicodedata.normalize("NFC", lowered.translate(_FOLD_TABLE))


def accent_form(text: str) -> str:
    """Lower-case words with diacritics kept, punctuation removed (for accented comparison)."""
    lowered = unicodedata.normalize("NFC", text[:MAX_QUERY_CHARS]).lower()
    return " ".join(_words(lowered))


def has_diacritics(text: str) -> bool:
    lowered = unicodedata.normalize("NFC", text).lower()
    return fold(lowered) != lowered


def redact(text: str) -> str:
    """Phone and other long ID numbers replaced, so stored questions hold no personal numbers."""
    return _LONG_NUMBER.sub("<số>", text)


def _words(text: str) -> list[str]:
    """Runs of letters and ASCII digits ("500kg", "hỗ"); anything else separates words."""
    text = _URL.sub(" ", text).replace("%", " phần trăm ")
    # Runs of alphanumerics by regex; a run holding a non-ASCII non-letter ("²", "٣"), which
    # separates words, sends the text through the exact loop below (rare).
    runs = _ALNUM_RUN.findall(text)
    if all(run.isascii() or run.isalpha() for run in runs):
        return runs
    out, current = [], []
    for ch in text:
        if ch.isalnum() and ch.isascii() or ch.isalpha():
            current.append(ch)
            continue
        if current:
            out.append("".join(current))
            current = []
    if current:
        out.append("".join(current))
    return out


@dataclass(frozen=True)
class Lexicon:
    """Orthographic synonyms (knowledge/lexicon/): abbreviations and filler words, folded."""

    abbreviations: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    fillers: frozenset[str] = frozenset()
    words: frozenset[str] = frozenset()
    final_particles: frozenset[str] = frozenset()

    def vocabulary(self) -> set[str]:
        vocab = set(self.words)
        for expansion in self.abbreviations.values():
            vocab.update(expansion)
        return vocab


@dataclass(frozen=True, slots=True)
class Normalised:
    """A query as the matcher sees it: content syllables and the terms (syllables + bigrams)."""

    tokens: tuple[str, ...]
    terms: tuple[str, ...]

    @property
    def text(self) -> str:
        return " ".join(self.tokens)


class Normaliser:
    """Folding, Telex/VNI repair, abbreviations, i/y spelling and typo snapping.

    `vocabulary` holds the folded syllables the knowledge base knows; repairs are accepted
    only when they produce one of them, so ordinary words are never "corrected" away.
    """

    def __init__(self, lexicon: Lexicon, vocabulary: Iterable[str] = ()) -> None:
        self.lexicon = lexicon
        known = (
            {unify_spelling(w) for w in vocabulary}
            | lexicon.vocabulary()
            | set(_UNITS.values())
            | {"phan", "tram"}
        )
        # Examples written "as owners type" carry Telex/VNI residue ("hoox trowj"); taken as
        # vocabulary they would stop their own repair, so a word whose Telex or VNI reading is
        # also known is left out.
        self.vocabulary = frozenset(w for w in known if not _residue_of_known(w, known))
        self._vocab_list = sorted(self.vocabulary)
        self._snap_cache: dict[str, str | None] = {}
        self._repair_cache: dict[str, tuple[str, ...]] = {}

    def normalise(self, text: str) -> Normalised:
        syllables = self.syllables(text)
        # Sentence-final particles ("… gì vậy", "… không") carry no topic; stripping them all
        # (not just one) keeps normalisation idempotent.
        fillers = self.lexicon.fillers
        tail = self.lexicon.final_particles | fillers
        while len(syllables) > 1 and syllables[-1] in tail:
            syllables.pop()
        tokens = tuple(s for s in syllables if s not in fillers)
        bigrams = tuple(
            f"{a}_{b}"
            for a, b in zip(syllables, syllables[1:], strict=False)
            if a not in fillers and b not in fillers
        )
        return Normalised(tokens, tokens + bigrams)

    def syllables(self, text: str) -> list[str]:
        """Every syllable after repair and expansion, fillers included (for bigrams)."""
        raw = _words(unicodedata.normalize("NFC", text[:MAX_QUERY_CHARS]).lower())
        out: list[str] = []
        previous_number = False
        for word in raw:
            for piece in self._repair(word):
                if piece.isdigit() or _is_number(piece):
                    previous_number = True
                    continue
                if previous_number and piece in _UNITS:
                    out.append(_UNITS[piece])
                else:
                    out.extend(self._expand(piece))
                previous_number = False
        return out

    def _repair(self, word: str) -> tuple[str, ...]:
        """The word folded and repaired, remembered: a knowledge base repeats its words
        thousands of times at start-up, and owners repeat theirs."""
        found = self._repair_cache.get(word)
        if found is None:
            found = self._repair_word(word)
            if len(self._repair_cache) < _REPAIR_CACHE_LIMIT:
                self._repair_cache[word] = found
        return found

    def _repair_word(self, word: str) -> tuple[str, ...]:
        folded = unify_spelling(fold(word))
        match = _NUMBER_UNIT.match(folded)
        if match:
            unit = match.group(2)
            return (match.group(1), unit if unit in _UNITS else self._repair(unit)[0])
        if folded in self.vocabulary or folded in self.lexicon.abbreviations:
            return (folded,)
        if folded.isascii():
            # On the folded form, so that a second pass sees the same word (idempotence).
            for candidate in (*_telex_candidates(folded), _vni_candidate(folded)):
                if candidate and unify_spelling(candidate) in self.vocabulary:
                    return (unify_spelling(candidate),)
        if folded.isdigit() or len(folded) < 3 or not folded.isalpha() or not self.vocabulary:
            return (folded,)
        return (self._snap(folded) or folded,)

    def _expand(self, syllable: str) -> tuple[str, ...]:
        expansion = self.lexicon.abbreviations.get(syllable)
        return expansion if expansion is not None else (syllable,)

    def _snap(self, syllable: str) -> str | None:
        """Closest known syllable for a typo ("nhieu" for "nhiu"), or None."""
        if syllable in self._snap_cache:
            return self._snap_cache[syllable]
        best = process.extractOne(syllable, self._vocab_list, scorer=fuzz.ratio, score_cutoff=80)
        result = best[0] if best else None
        if len(self._snap_cache) < _SNAP_CACHE_LIMIT:
            self._snap_cache[syllable] = result
        return result


def _is_number(piece: str) -> bool:
    return bool(_NUMBER.fullmatch(piece))


def unify_spelling(syllable: str) -> str:
    return syllable[:-1] + "i" if _IY.match(syllable) else syllable


def _telex_candidates(word: str) -> list[str]:
    """Folded readings of a word typed with Telex keys left in ("khuyeens" → "khuyen")."""
    candidates = []
    bases = [word]
    if len(word) > 2 and word[-1] in _TONE_KEYS:
        bases.insert(0, word[:-1])
    for i in range(1, len(word) - 1):
        # A tone key typed before the final consonant ("tieesng").
        if word[i] in _TONE_KEYS and word[i - 1] in _VOWELS | {"w"}:
            bases.append(word[:i] + word[i + 1 :])
    for base in bases:
        collapsed = base
        for double, single in (("dd", "d"), ("aa", "a"), ("ee", "e"), ("oo", "o")):
            collapsed = collapsed.replace(double, single)
        collapsed = re.sub(r"(?<=[aeiou])w", "", collapsed).replace("w", "u")
        if collapsed != word:
            candidates.append(collapsed)
    return candidates


def _residue_of_known(word: str, known: set[str]) -> bool:
    if not word.isascii():
        return False
    readings = (*_telex_candidates(word), _vni_candidate(word))
    return any(r and r != word and unify_spelling(r) in known for r in readings)


def _vni_candidate(word: str) -> str | None:
    """VNI keys are digits inside a word ("khuye6n1", "d9uoc"); a leading number is not VNI."""
    if word[:1].isalpha() and any(ch.isdigit() for ch in word):
        return "".join(ch for ch in word if not ch.isdigit())
    return None
