"""Puts diacritics back on Vietnamese typed without them ("co duoc ho tro may khong" → "có
được hỗ trợ máy không"), from the knowledge base's own accented texts. The one place that
restores diacritics, for both of its users:

- question answering (`restore_words`): the dense model reads restored text, being useless
  on folded text (issue 11: 9–15 % rank-1 folded against 79–89 % accented); the restorer is
  built from the topics, examples and answers and saved with the answer models;
- the đề án journey (`restore`): an owner's free text typed without diacritics is offered
  back with them before it goes into the document; built from the topics, questionnaire,
  interface texts and `knowledge/lexicon/restore.yaml` (`load_restorer`).

A syllable bigram model: every accented sentence counts how each folded syllable is written,
alone and after its neighbour; Viterbi picks the sequence of accented forms with the highest
interpolated bigram/unigram probability (add-one smoothing on the unigram). Syllables the
texts never wrote with diacritics stay as typed.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from knowledge.search.normalise import accent_form, fold, has_diacritics, unify_spelling
from knowledge.yamlfile import KnowledgeError, LineDict, load_yaml

# More forms per folded syllable than this are rare readings that only slow Viterbi down.
MAX_FORMS = 6
_START = "<s>"
# Weight of the bigram in the interpolated probability (the unigram takes the rest).
_BIGRAM_WEIGHT = 0.7
# Words of an owner's free text (letters only: "500 kg/me" has the words "kg" and "me").
_WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True, slots=True)
class Restoration:
    """`text` with diacritics restored; `changed` when any word changed; `unknown` words kept."""

    text: str
    changed: bool
    unknown: tuple[str, ...]


class DiacriticRestorer:
    """Built from accented sentences (those without any diacritic teach nothing and are
    skipped). `restore_words` maps folded syllables to accented ones (answering);
    `restore` does the same inside free text, keeping punctuation, numbers and case."""

    def __init__(self, sentences: Iterable[str]) -> None:
        unigrams: Counter[str] = Counter()
        bigrams: Counter[tuple[str, str]] = Counter()
        for sentence in sentences:
            words = accent_form(sentence).split()
            if not any(has_diacritics(w) for w in words):
                continue
            unigrams.update(words)
            bigrams.update(zip([_START, *words], words, strict=False))
        self._set_counts(unigrams, bigrams)

    def _set_counts(self, unigrams: Counter[str], bigrams: Counter[tuple[str, str]]) -> None:
        forms: dict[str, list[str]] = {}
        for word, _ in unigrams.most_common():
            forms.setdefault(unify_spelling(fold(word)), []).append(word)
        self.forms = {key: tuple(found[:MAX_FORMS]) for key, found in forms.items()}
        self.unigrams = unigrams
        self.bigrams = bigrams
        self.total = sum(unigrams.values()) or 1
        self.vocabulary_size = len(unigrams) or 1

    def __len__(self) -> int:
        """Folded syllables the restorer knows an accented form of."""
        return len(self.forms)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready counts (saved with the answer models)."""
        return {
            "unigrams": dict(self.unigrams),
            "bigrams": [[a, b, n] for (a, b), n in self.bigrams.items()],
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> DiacriticRestorer:
        """The restorer `to_dict` saved."""
        restorer = cls(())
        unigrams = Counter({str(k): int(v) for k, v in dict(data["unigrams"]).items()})  # type: ignore[call-overload]
        bigrams: Counter[tuple[str, str]] = Counter()
        for a, b, n in data["bigrams"]:  # type: ignore[attr-defined]
            bigrams[(str(a), str(b))] = int(n)
        restorer._set_counts(unigrams, bigrams)
        return restorer

    def _log_p(self, previous: str, word: str) -> float:
        # Interpolated bigram/unigram, add-one on the unigram: unseen pairs fall back softly.
        unigram = (self.unigrams[word] + 1) / (self.total + self.vocabulary_size)
        context = self.unigrams[previous] if previous != _START else self.total
        bigram = self.bigrams[(previous, word)] / context if context else 0.0
        return math.log(_BIGRAM_WEIGHT * bigram + (1 - _BIGRAM_WEIGHT) * unigram)

    def _viterbi(self, lattice: Sequence[Sequence[str]]) -> list[str]:
        """The likeliest path through one list of candidate forms per position."""
        if not lattice:
            return []
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

    def restore_words(self, words: Sequence[str]) -> list[str]:
        """One accented word per input word (lower case, as `restorable_words` gives them).
        Words that already carry diacritics are kept; folded ones become their most likely
        accented form in context."""
        return self._viterbi(
            [(w,) if has_diacritics(w) else self.forms.get(w, (w,)) for w in words]
        )

    def restore(self, text: str) -> Restoration:
        """Free text with each word typed without diacritics in its likeliest written form;
        punctuation, numbers, accented words and upper case are kept."""
        text = unicodedata.normalize("NFC", text)
        matches = list(_WORD.finditer(text))
        lattice: list[tuple[str, ...]] = []
        unknown: list[str] = []
        for match in matches:
            word = match[0]
            lower = word.lower()
            if has_diacritics(word) or not word.isascii():
                lattice.append((lower,))
                continue
            forms = self.forms.get(unify_spelling(lower))
            if forms is None:
                unknown.append(word)
            lattice.append(forms or (lower,))
        chosen = self._viterbi(lattice)
        out: list[str] = []
        pos = 0
        for match, form in zip(matches, chosen, strict=True):
            out.append(text[pos : match.start()])
            pos = match.end()
            word = match[0]
            kept = has_diacritics(word) or not word.isascii() or fold(form) == form
            out.append(word if kept else _case_like(word, form))
        out.append(text[pos:])
        restored = "".join(out)
        return Restoration(restored, restored != text, tuple(unknown))


def restorable_words(text: str, syllables: Callable[[str], list[str]]) -> list[str]:
    """The words to restore for answering: typed accents kept, everything else repaired and
    expanded by `syllables` (the normaliser's: Telex, abbreviations, typos) into folded
    syllables."""
    out: list[str] = []
    for word in accent_form(text).split():
        if has_diacritics(word) and fold(word) not in ("đc", "dc"):
            out.append(word)
        else:
            out.extend(syllables(word))
    return out


def _case_like(typed: str, form: str) -> str:
    if typed.isupper() and len(typed) > 1:
        return form.upper()
    if typed[:1].isupper():
        return form[:1].upper() + form[1:]
    return form


def load_restorer(phrases_file: Path, texts: Iterable[str]) -> DiacriticRestorer:
    """The journey's restorer over `texts` plus the phrases of `knowledge/lexicon/restore.yaml`.

    Raises KnowledgeError (file:line) when the file holds no `phrases:` list of texts."""
    data = load_yaml(phrases_file)
    phrases = data.get("phrases") if isinstance(data, LineDict) else None
    if not isinstance(phrases, list) or not all(isinstance(p, str) for p in phrases):
        line = data.line if isinstance(data, LineDict) else 1
        raise KnowledgeError(phrases_file, line, "expected 'phrases:' with a list of texts")
    return DiacriticRestorer([*phrases, *texts])
