"""Puts diacritics back on Vietnamese typed without them, from the knowledge base's own words.

A small word-bigram restorer: every accented text of the knowledge base (topics, questionnaire,
interface texts, đề án template) counts how each folded word is written, alone and next to its
neighbours; a folded word takes its most frequent written form in context. Words the
knowledge base never uses stay as typed (`Restoration.unknown`). Used to offer the owner their
own words back with diacritics before they go into the đề án; question answering has its own
restorer (branch `answers`) — the two are meant to become one.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from knowledge.search.normalise import fold, has_diacritics
from knowledge.yamlfile import KnowledgeError, LineDict, load_yaml

_WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True, slots=True)
class Restoration:
    """`text` with diacritics restored; `changed` when any word changed; `unknown` words kept."""

    text: str
    changed: bool
    unknown: tuple[str, ...]


class Restorer:
    """Built once from accented texts; `restore` is pure and fast (dictionary look-ups)."""

    def __init__(self, texts: Iterable[str]) -> None:
        self._forms: dict[str, Counter[str]] = defaultdict(Counter)
        self._left: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
        self._right: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
        for text in texts:
            if not has_diacritics(text):
                continue
            words = [w.lower() for w in _WORD.findall(unicodedata.normalize("NFC", text))]
            folded = [fold(w) for w in words]
            for i, word in enumerate(words):
                self._forms[folded[i]][word] += 1
                if i:
                    self._left[(folded[i - 1], folded[i])][word] += 1
                if i + 1 < len(words):
                    self._right[(folded[i], folded[i + 1])][word] += 1

    def __len__(self) -> int:
        return len(self._forms)

    def restore(self, text: str) -> Restoration:
        """Each word without diacritics takes its likeliest written form; the rest is kept."""
        text = unicodedata.normalize("NFC", text)
        matches = list(_WORD.finditer(text))
        folded = [fold(m[0]) for m in matches]
        out: list[str] = []
        unknown: list[str] = []
        pos = 0
        for i, match in enumerate(matches):
            out.append(text[pos : match.start()])
            pos = match.end()
            word = match[0]
            if has_diacritics(word) or not word.isascii():
                out.append(word)
                continue
            best = self._best(folded, i)
            if best is None:
                unknown.append(word)
                out.append(word)
            else:
                out.append(_case_like(word, best))
        out.append(text[pos:])
        restored = "".join(out)
        return Restoration(restored, restored != text, tuple(unknown))

    def _best(self, folded: list[str], i: int) -> str | None:
        forms = self._forms.get(folded[i])
        if not forms:
            return None
        left = self._left.get((folded[i - 1], folded[i])) if i else None
        right = self._right.get((folded[i], folded[i + 1])) if i + 1 < len(folded) else None

        def score(form: str) -> tuple[int, int]:
            # A form seen next to these very neighbours beats a merely frequent one.
            context = (left[form] if left else 0) + (right[form] if right else 0)
            return context, forms[form]

        return max(forms, key=score)


def _case_like(typed: str, form: str) -> str:
    if typed.isupper() and len(typed) > 1:
        return form.upper()
    if typed[:1].isupper():
        return form[:1].upper() + form[1:]
    return form


def load_restorer(phrases_file: Path, texts: Iterable[str]) -> Restorer:
    """The restorer over `texts` plus the phrases of `knowledge/lexicon/restore.yaml`."""
    data = load_yaml(phrases_file)
    phrases = data.get("phrases") if isinstance(data, LineDict) else None
    if not isinstance(phrases, list) or not all(isinstance(p, str) for p in phrases):
        line = data.line if isinstance(data, LineDict) else 1
        raise KnowledgeError(phrases_file, line, "expected 'phrases:' with a list of texts")
    return Restorer([*phrases, *texts])
