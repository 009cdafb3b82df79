"""The BM25 index: exact scores, and candidate pruning for large knowledge bases."""

from __future__ import annotations

import math
import random

import pytest

from knowledge.search import index as index_module
from knowledge.search.index import Bm25Index


def test_rare_terms_rank_first() -> None:
    docs = [["ho", "tro", "may", "moc"], ["ho", "tro", "hoi", "cho"], ["ho", "tro", "ocop"]]
    idx = Bm25Index(docs)
    scores = idx.scores(["ho", "tro", "ocop"])
    assert max(scores, key=scores.__getitem__) == 2
    assert idx.idf["ocop"] > idx.idf["ho"]
    assert idx.weight("ocop", 2) > 0
    assert idx.weight("ocop", 0) == 0
    assert idx.weight("unknown", 0) == 0
    assert idx.idf_of("unknown") == idx.max_idf


def test_upper_bound_bounds_every_score() -> None:
    docs = [["a", "b", "b"], ["b", "c"], ["c", "d", "e", "f"]]
    idx = Bm25Index(docs)
    query = ["a", "b", "c", "zzz"]
    assert all(s <= idx.upper_bound(query) for s in idx.scores(query).values())
    assert not math.isnan(idx.upper_bound([]))


def test_pruned_scores_match_exhaustive(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(3)
    common = [f"c{i}" for i in range(5)]
    rare = [f"r{i}" for i in range(3000)]
    docs = [common + rng.sample(rare, 12) for _ in range(600)]
    pruned = Bm25Index(docs)
    queries = [["c0", "c1", *rng.sample(rare, 3)] for _ in range(50)]
    monkeypatch.setattr(index_module, "PRUNE_ABOVE", 10**9)
    exhaustive = Bm25Index(docs)
    for query in queries:
        full = exhaustive.scores(query)
        # Every document shares the common terms; the ones that matter also match a rare one.
        floor = min(full.values())
        best = [d for d in sorted(full, key=full.__getitem__, reverse=True)[:3] if full[d] > floor]
        assert best
        monkeypatch.setattr(index_module, "PRUNE_ABOVE", 256)
        fast = pruned.scores(query)
        monkeypatch.setattr(index_module, "PRUNE_ABOVE", 10**9)
        assert len(fast) <= index_module.POOL
        for doc in best:  # the documents that matter are found, with their exact scores
            assert fast[doc] == pytest.approx(full[doc])
