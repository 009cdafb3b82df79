"""Puts diacritics back on folded text ("co duoc ho tro may khong" → "có được hỗ trợ máy
không") from the knowledge base's own accented vocabulary, for the dense model, which is
useless on folded text (issue 11: 9–15 % rank-1 folded against 79–89 % accented).

A syllable bigram model counted over topics, examples and answers; Viterbi picks the
sequence of accented forms with the highest add-one-smoothed probability. Syllables the
knowledge base never wrote with diacritics stay as typed.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence

from knowledge.search.normalise import accent_form, fold, has_diacritics, unify_spelling

# More forms per folded syllable than this are rare readings that only slow Viterbi down.
MAX_FORMS = 6
_START = "<s>"


class DiacriticRestorer:
    """Built from accented sentences; `restore(words)` maps folded words to accented ones."""

    def __init__(self, sentences: Iterable[str]) -> None:
        unigrams: Counter[str] = Counter()
        bigrams: Counter[tuple[str, str]] = Counter()
        for sentence in sentences:
            words = accent_form(sentence).split()
            if not any(has_diacritics(w) for w in words):
                continue  # an unaccented example teaches nothing about accents
            unigrams.update(words)
            bigrams.update(zip([_START, *words], words, strict=False))
        forms: dict[str, list[str]] = {}
        for word, _ in unigrams.most_common():
            forms.setdefault(unify_spelling(fold(word)), []).append(word)
        self.forms = {key: tuple(found[:MAX_FORMS]) for key, found in forms.items()}
        self.unigrams = unigrams
        self.bigrams = bigrams
        self.total = sum(unigrams.values()) or 1
        self.vocabulary_size = len(unigrams) or 1

    def to_dict(self) -> dict[str, object]:
        return {
            "unigrams": dict(self.unigrams),
            "bigrams": [[a, b, n] for (a, b), n in self.bigrams.items()],
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> DiacriticRestorer:
        restorer = cls(())
        unigrams = Counter({str(k): int(v) for k, v in dict(data["unigrams"]).items()})  # type: ignore[call-overload]
        bigrams: Counter[tuple[str, str]] = Counter()
        for a, b, n in data["bigrams"]:  # type: ignore[attr-defined]
            bigrams[(str(a), str(b))] = int(n)
        forms: dict[str, list[str]] = {}
        for word, _ in unigrams.most_common():
            forms.setdefault(unify_spelling(fold(word)), []).append(word)
        restorer.forms = {key: tuple(found[:MAX_FORMS]) for key, found in forms.items()}
        restorer.unigrams, restorer.bigrams = unigrams, bigrams
        restorer.total = sum(unigrams.values()) or 1
        restorer.vocabulary_size = len(unigrams) or 1
        return restorer

    def _log_p(self, previous: str, word: str) -> float:
        # Interpolated bigram/unigram, add-one on the unigram: unseen pairs fall back softly.
        unigram = (self.unigrams[word] + 1) / (self.total + self.vocabulary_size)
        context = self.unigrams[previous] if previous != _START else self.total
        bigram = self.bigrams[(previous, word)] / context if context else 0.0
        return math.log(0.7 * bigram + 0.3 * unigram)

    def restore(self, words: Sequence[str]) -> list[str]:
        """One accented word per input word. Words that already carry diacritics are kept;
        folded ones become their most likely accented form in context."""
        if not words:
            return []
        lattice = [(w,) if has_diacritics(w) else self.forms.get(w, (w,)) for w in words]
        best: dict[str, tuple[float, list[str]]] = {_START: (0.0, [])}
        for options in lattice:
            step: dict[str, tuple[float, list[str]]] = {}
            for form in options:
                score, path = max(
                    ((s + self._log_p(prev, form), p) for prev, (s, p) in best.items()),
                    key=lambda item: item[0],
                )
                step[form] = (score, [*path, form])
            best = step
        return max(best.values(), key=lambda item: item[0])[1]


def restorable_words(text: str, syllables: Callable[[str], list[str]]) -> list[str]:
    """The words to restore: typed accents kept, everything else repaired and expanded by
    `syllables` (the normaliser's: Telex, abbreviations, typos) into folded syllables."""
    out: list[str] = []
    for word in accent_form(text).split():
        if has_diacritics(word) and fold(word) not in ("đc", "dc"):
            out.append(word)
        else:
            out.extend(syllables(word))
    return out
