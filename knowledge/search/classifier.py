"""The supervised voter: a logistic regression over the normaliser's terms (folded syllables
and adjacent pairs) of the topics' examples plus augmented copies, with out-of-scope as a
class of its own.

scikit-learn trains it at build time (`python -m bot kb build`); at run time the weights are
plain numpy arrays (a sparse term × class matrix) so answering needs neither scikit-learn
nor scipy. Augmentation adds what the normaliser cannot undo: fillers and polite particles,
a story before the question, and a dropped syllable. Diacritics, Telex/VNI residue and chat
abbreviations need no augmentation: the features are taken after the normaliser removes them.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

OOS_CLASS = "__oos__"
# Openings and closings owners add (research/style-and-retrieval.md B.1), and stories told
# before a question; they are shared by every class, so the model learns to ignore them.
_PREFIXES = (
    "cho em hỏi",
    "ad ơi cho mình hỏi",
    "chị ơi",
    "dạ cho hỏi",
    "xin hỏi",
    "em chào anh chị",
    "nha em lam bun o xa",
    "cơ sở tôi làm mộc ở huyện",
    "em có xưởng may nhỏ ở quê",
    "htx mình làm gốm",
    "gia đình tôi làm bánh tráng mấy chục năm nay",
    "con mới cài cái này cho tôi",
)
_SUFFIXES = ("ạ", "vậy ạ", "nhé", "nha ad", "không ạ", "với ạ", "dzậy", "ha", "ạ cảm ơn")
SEED = 11
C = 8.0


@dataclass(frozen=True)
class LinearModel:
    """Run-time weights: `terms` → row; rows of (class, weight) pairs in CSR arrays."""

    classes: tuple[str, ...]
    terms: dict[str, int]
    idf: np.ndarray  # (n_terms,)
    indptr: np.ndarray  # (n_terms + 1,)
    indices: np.ndarray  # class ids
    weights: np.ndarray
    intercept: np.ndarray  # (n_classes,)

    def probabilities(self, weighted_terms: dict[str, float]) -> np.ndarray:
        """Class probabilities (softmax) for a bag of terms with weights (1 for the
        question, less for context); tf-idf, l2-normalised, as in training."""
        rows, values = [], []
        for term, count in weighted_terms.items():
            row = self.terms.get(term)
            if row is not None:
                rows.append(row)
                values.append((1 + math.log(count) if count >= 1 else count) * self.idf[row])
        logits = self.intercept.astype(np.float64)
        if rows:
            norm = math.sqrt(sum(v * v for v in values))
            for row, value in zip(rows, values, strict=True):
                start, end = self.indptr[row], self.indptr[row + 1]
                logits[self.indices[start:end]] += self.weights[start:end] * (value / norm)
        logits -= logits.max()
        exp = np.exp(logits)
        probabilities: np.ndarray = exp / exp.sum()
        return probabilities

    def arrays(self) -> dict[str, np.ndarray]:
        terms = sorted(self.terms, key=self.terms.__getitem__)
        return {
            "clf_classes": np.array(self.classes),
            "clf_terms": np.array(terms),
            "clf_idf": self.idf,
            "clf_indptr": self.indptr,
            "clf_indices": self.indices,
            "clf_weights": self.weights,
            "clf_intercept": self.intercept,
        }

    @classmethod
    def from_arrays(cls, data: dict[str, np.ndarray]) -> LinearModel:
        terms = [str(t) for t in data["clf_terms"]]
        return cls(
            classes=tuple(str(c) for c in data["clf_classes"]),
            terms={t: i for i, t in enumerate(terms)},
            idf=data["clf_idf"],
            indptr=data["clf_indptr"],
            indices=data["clf_indices"],
            weights=data["clf_weights"],
            intercept=data["clf_intercept"],
        )


def augment(text: str, rng: random.Random, copies: int) -> list[str]:
    """The text and `copies` variants with an opening, a closing or a dropped word."""
    out = [text]
    words = text.split()
    for n in range(copies):
        kind = n % 3
        if kind == 0:
            out.append(f"{rng.choice(_PREFIXES)}, {text} {rng.choice(_SUFFIXES)}")
        elif kind == 1 and len(words) > 3:
            drop = rng.randrange(len(words))
            out.append(" ".join(words[:drop] + words[drop + 1 :]))
        else:
            out.append(f"{text} {rng.choice(_SUFFIXES)}")
    return out


def train(
    labelled: Sequence[tuple[str, str]],
    terms_of: Callable[[str], Sequence[str]],
    copies: int = 3,
) -> LinearModel:
    """Fit on (text, class) pairs; `terms_of` is the normaliser's term extraction.

    Multinomial logistic regression (lbfgs), tf-idf with sublinear tf and l2 norm; weights
    below 1e-3 are dropped, which keeps the matrix sparse at thousands of topics.
    """
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.feature_extraction.text import TfidfTransformer
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    rng = random.Random(SEED)  # noqa: S311 - reproducible augmentation, not secrets
    texts, labels = [], []
    for text, label in labelled:
        for variant in augment(text, rng, copies):
            texts.append(Counter(terms_of(variant)))
            labels.append(label)
    vectoriser = DictVectorizer()
    counts = vectoriser.fit_transform(texts)
    tfidf = TfidfTransformer(sublinear_tf=True)
    features = tfidf.fit_transform(counts)
    model = LogisticRegression(C=C, max_iter=500)
    # One thread: OpenMP's default of one per core made lbfgs 10× slower on a shared 2-core
    # machine (17 s against 1.5 s, measured).
    with threadpool_limits(limits=1):
        model.fit(features, labels)
    coef = np.asarray(model.coef_, dtype=np.float32)  # (classes, terms)
    classes = [str(c) for c in model.classes_]
    if coef.shape[0] == 1:  # two classes: sklearn keeps one row
        coef = np.vstack([-coef, coef])
    intercept = np.asarray(model.intercept_, dtype=np.float32)
    if intercept.shape[0] == 1:
        intercept = np.array([-intercept[0], intercept[0]], dtype=np.float32)
    by_term = coef.T
    keep = np.abs(by_term) >= 1e-3
    indptr = np.concatenate([[0], np.cumsum(keep.sum(axis=1))]).astype(np.int64)
    indices = np.nonzero(keep)[1].astype(np.int32)
    weights = by_term[keep].astype(np.float32)
    names = vectoriser.get_feature_names_out()
    return LinearModel(
        classes=tuple(classes),
        terms={str(t): i for i, t in enumerate(names)},
        idf=np.asarray(tfidf.idf_, dtype=np.float32),
        indptr=indptr,
        indices=indices,
        weights=weights,
        intercept=intercept,
    )
