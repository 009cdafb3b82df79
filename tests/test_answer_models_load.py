"""Built answer models are memory-mapped from their .npz (knowledge/search/models.py): the
same arrays as numpy's own reader, without a copy; compressed archives still load."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from knowledge.search.models import TrainingSet, build_models, load, mapped_arrays, save
from knowledge.search.normalise import Lexicon, Normaliser

LABELLED = (
    ("hỗ trợ mua máy móc thiết bị sản xuất", "may"),
    ("được hỗ trợ bao nhiêu tiền mua máy", "may"),
    ("đi hội chợ triển lãm được hỗ trợ gì", "hoi_cho"),
    ("tham gia hội chợ có được trả tiền gian hàng", "hoi_cho"),
    ("vay ngân hàng lãi suất bao nhiêu", "__oos__"),
)


def test_mapped_models_equal_numpys_reading(tmp_path: Path) -> None:
    normaliser = Normaliser(Lexicon(), {w for t, _ in LABELLED for w in t.split()})
    training = TrainingSet(LABELLED, tuple(t for t, _ in LABELLED))
    models = build_models(
        training, lambda t: normaliser.normalise(t).terms, normaliser.syllables, None
    )
    path = tmp_path / "answer-x-lexical.npz"
    save(models, path)
    mapped = mapped_arrays(path)
    with np.load(path) as data:
        assert sorted(data.files) == sorted(mapped)
        for name in data.files:
            assert mapped[name].dtype == data[name].dtype
            assert np.array_equal(mapped[name], data[name])
    assert not mapped["clf_weights"].flags.writeable  # shared pages, never written
    loaded = load(path, None, "x")
    terms = {t: 1.0 for t in normaliser.normalise("hỗ trợ mua máy").terms}
    assert np.array_equal(
        loaded.classifier.probabilities(terms), models.classifier.probabilities(terms)
    )
    assert loaded.restorer.restore_words(["hoi", "cho"]) == ["hội", "chợ"]

    compressed = tmp_path / "compressed.npz"
    with np.load(path) as data:
        np.savez_compressed(compressed, **{n: data[n] for n in data.files})
    again = mapped_arrays(compressed)
    assert all(np.array_equal(again[n], mapped[n]) for n in mapped)
