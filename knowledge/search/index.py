"""A small BM25 index over term lists (Okapi BM25, k1=1.2, b=0.75), built once at start-up."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence

K1 = 1.2
B = 0.75


class Bm25Index:
    """Inverted index with each posting's BM25 term weight precomputed, so a query only
    touches the postings of its own terms (fast for thousands of documents)."""

    def __init__(self, documents: Sequence[Sequence[str]]) -> None:
        self.size = len(documents)
        lengths = [len(doc) for doc in documents]
        average = (sum(lengths) / self.size) if self.size else 1.0
        frequencies: dict[str, int] = Counter()
        for doc in documents:
            frequencies.update(set(doc))
        self.idf = {
            term: math.log(1 + (self.size - df + 0.5) / (df + 0.5))
            for term, df in frequencies.items()
        }
        self.max_idf = math.log(1 + (self.size + 0.5) / 0.5) if self.size else 1.0
        self.postings: dict[str, list[tuple[int, float]]] = {}
        for index, doc in enumerate(documents):
            norm = K1 * (1 - B + B * len(doc) / (average or 1.0))
            for term, tf in Counter(doc).items():
                weight = tf * (K1 + 1) / (tf + norm)
                self.postings.setdefault(term, []).append((index, weight))
        self.doc_terms = [frozenset(doc) for doc in documents]

    def idf_of(self, term: str) -> float:
        """Known terms their IDF; unknown ones the maximum (they are what the KB lacks)."""
        return self.idf.get(term, self.max_idf)

    def scores(self, terms: Iterable[str]) -> dict[int, float]:
        totals: dict[int, float] = {}
        for term in set(terms):
            idf = self.idf.get(term)
            if idf is None:
                continue
            for index, weight in self.postings[term]:
                totals[index] = totals.get(index, 0.0) + idf * weight
        return totals

    def upper_bound(self, terms: Iterable[str]) -> float:
        """A score no document can exceed for these terms: every term at its best weight."""
        return sum(self.idf_of(t) * (K1 + 1) for t in set(terms)) or 1.0
