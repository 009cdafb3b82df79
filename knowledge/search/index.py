"""A small BM25 index over term lists (Okapi BM25, k1=1.2, b=0.75), built once at start-up."""

from __future__ import annotations

import math
import sys
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Sequence

K1 = 1.2
B = 0.75
# Above this many documents, candidates are gathered from the query's rarer terms only and
# then scored exactly: terms like "hỗ trợ" sit in every document and would otherwise cost a
# pass over all of them (measured at 2,000 topics: p50 16 ms → 3 ms).
PRUNE_ABOVE = 256
RARE_SHARE = 0.05
POOL = 32


class Bm25Index:
    """Inverted lists as compact arrays (document ids ascending, IDF × BM25 term weight
    precomputed): ~12 bytes a posting, where dictionaries took ~100 (measured at 2,000
    topics: 128 MB → see bench/answer_latency.py)."""

    def __init__(self, documents: Sequence[Sequence[str]]) -> None:
        self.size = len(documents)
        lengths = [len(doc) for doc in documents]
        average = (sum(lengths) / self.size) if self.size else 1.0
        frequencies: Counter[str] = Counter()
        for doc in documents:
            frequencies.update(set(doc))
        self.idf = {
            term: math.log(1 + (self.size - df + 0.5) / (df + 0.5))
            for term, df in frequencies.items()
        }
        self.max_idf = math.log(1 + (self.size + 0.5) / 0.5) if self.size else 1.0
        inverted: dict[str, tuple[array[int], array[float]]] = {}
        for index, doc in enumerate(documents):
            norm = K1 * (1 - B + B * len(doc) / (average or 1.0))
            for raw, tf in Counter(doc).items():
                # One shared string per term: thousands of documents repeat "ho_tro".
                term = sys.intern(raw)
                if term not in inverted:
                    inverted[term] = (array("I"), array("d"))
                docs, values = inverted[term]
                docs.append(index)
                values.append(self.idf[term] * tf * (K1 + 1) / (tf + norm))
        self.inverted = inverted

    def weight(self, term: str, index: int) -> float:
        """The term's score in one document (0 when absent), by binary search."""
        found = self.inverted.get(term)
        if found is None:
            return 0.0
        docs, values = found
        position = bisect_left(docs, index)
        return values[position] if position < len(docs) and docs[position] == index else 0.0

    def idf_of(self, term: str) -> float:
        """Known terms their IDF; unknown ones the maximum (they are what the KB lacks)."""
        return self.idf.get(term, self.max_idf)

    def scores(self, terms: Iterable[str]) -> dict[int, float]:
        known = [t for t in set(terms) if t in self.inverted]
        gather = known
        if self.size > PRUNE_ABOVE:
            by_rarity = sorted(known, key=lambda t: len(self.inverted[t][0]))
            rare = [t for t in by_rarity if len(self.inverted[t][0]) <= self.size * RARE_SHARE]
            gather = rare or by_rarity[:2]
        totals: dict[int, float] = {}
        for term in gather:
            docs, values = self.inverted[term]
            for index, weight in zip(docs, values, strict=True):
                totals[index] = totals.get(index, 0.0) + weight
        if len(gather) == len(known):
            return totals
        rest = [t for t in known if t not in gather]
        pool = sorted(totals, key=totals.__getitem__, reverse=True)[:POOL]
        return {i: totals[i] + sum(self.weight(t, i) for t in rest) for i in pool}

    def upper_bound(self, terms: Iterable[str]) -> float:
        """A score no document can exceed for these terms: every term at its best weight."""
        return sum(self.idf_of(t) * (K1 + 1) for t in set(terms)) or 1.0
