"""Ranks knowledge-base entries for a question and turns the ranking into a confidence.

Signals (research/style-and-retrieval.md B.3): BM25 over syllables and adjacent bigrams,
normalised by the query's own upper bound; the share of the query's IDF mass the entry
explains (coverage); rapidfuzz similarity to the entry's phrasings, folded and — when the
user typed diacritics — accented. A logistic curve over the blend plus the lead over the
runner-up gives a confidence in [0, 1].
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from knowledge.search.index import Bm25Index
from knowledge.search.normalise import Normalised, Normaliser, accent_form, has_diacritics


@dataclass(frozen=True, slots=True)
class MatchEntry:
    """One thing a question can be about: a topic, or an out-of-scope subject."""

    key: str
    phrasings: tuple[str, ...]
    in_scope: bool = True
    body: str = ""


@dataclass(frozen=True, slots=True)
class MatcherParams:
    """Weights and thresholds, tuned on labelled questions (bench/eval_answers.py)."""

    weight_bm25: float = 0.45
    weight_coverage: float = 0.35
    weight_fuzzy: float = 0.20
    weight_body: float = 0.0
    weight_margin: float = 1.0
    slope: float = 12.0
    midpoint: float = 0.45
    threshold: float = 0.5
    shortlist: int = 12


@dataclass(frozen=True, slots=True)
class Candidate:
    key: str
    in_scope: bool
    score: float
    confidence: float


@dataclass(frozen=True, slots=True)
class Ranking:
    query: Normalised
    candidates: tuple[Candidate, ...]

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None


class Matcher:
    def __init__(
        self, entries: Sequence[MatchEntry], normaliser: Normaliser, params: MatcherParams
    ) -> None:
        self.entries = tuple(entries)
        self.normaliser = normaliser
        self.params = params
        normalised = [[normaliser.normalise(p) for p in e.phrasings] for e in self.entries]
        self.index = Bm25Index([[t for n in ns for t in n.terms] for ns in normalised])
        # The answer text is a weak signal (legal boilerplate is shared), so it only adds to
        # the blend with a small weight and never decides alone.
        self.body = Bm25Index([normaliser.normalise(e.body).terms for e in self.entries])
        self._folded = [tuple(dict.fromkeys(n.text for n in ns if n.tokens)) for ns in normalised]
        self._accented = [
            tuple(dict.fromkeys(accent_form(p) for p in e.phrasings if has_diacritics(p)))
            for e in self.entries
        ]

    def rank(self, question: str) -> Ranking:
        query = self.normaliser.normalise(question)
        if not query.tokens:
            return Ranking(query, ())
        unigrams = set(query.tokens)
        bm25 = self.index.scores(query.terms)
        body = self.body.scores(query.terms) if self.params.weight_body else {}
        if not bm25 and not body:
            return Ranking(query, ())
        bound = self.index.upper_bound(query.terms)
        body_bound = self.body.upper_bound(query.terms)
        total_idf = sum(self.index.idf_of(t) for t in unigrams)
        accented = accent_form(question) if has_diacritics(question) else None
        p = self.params
        shortlist = sorted(bm25, key=bm25.__getitem__, reverse=True)[: p.shortlist]
        shortlist += [
            i for i in sorted(body, key=body.__getitem__, reverse=True)[:3] if i not in shortlist
        ]
        fuzzy = self._fuzzy(shortlist, query.text, accented)
        scored = []
        for index in shortlist:
            covered = (t for t in unigrams if self.index.weight(t, index) > 0)
            coverage = sum(self.index.idf_of(t) for t in covered) / total_idf
            blend = (
                p.weight_bm25 * bm25.get(index, 0.0) / bound
                + p.weight_coverage * coverage
                + p.weight_fuzzy * fuzzy[index]
                + p.weight_body * body.get(index, 0.0) / body_bound
            )
            scored.append((blend, index))
        scored.sort(reverse=True)
        return Ranking(query, self._candidates(scored))

    def _candidates(self, scored: list[tuple[float, int]]) -> tuple[Candidate, ...]:
        p = self.params
        candidates = []
        for position, (blend, index) in enumerate(scored):
            runner_up = scored[1][0] if position == 0 and len(scored) > 1 else blend
            lead = blend - runner_up if position == 0 else 0.0
            z = p.slope * (blend - p.midpoint + p.weight_margin * lead)
            entry = self.entries[index]
            candidates.append(Candidate(entry.key, entry.in_scope, blend, _sigmoid(z)))
        return tuple(candidates)

    def _fuzzy(self, shortlist: list[int], folded: str, accented: str | None) -> dict[int, float]:
        """Best token_sort_ratio against each entry's phrasings, folded and (when the user
        typed diacritics) accented; the two are averaged."""
        scores = {}
        for index in shortlist:
            score = _best(folded, self._folded[index])
            if accented and self._accented[index]:
                score = (score + _best(accented, self._accented[index])) / 2
            scores[index] = score
        return scores


def _best(query: str, choices: tuple[str, ...]) -> float:
    found = process.extractOne(query, choices, scorer=fuzz.token_sort_ratio)
    return found[1] / 100 if found else 0.0


def _sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-max(-50.0, min(50.0, z))))
