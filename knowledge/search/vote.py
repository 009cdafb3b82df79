"""Confidence from agreement: each voter (lexical matcher, classifier, dense model) names its
best class; two that agree decide, otherwise the answerer abstains and offers the topics
the voters rank highest together (STYLE.md "Matching"; issue 11: 95 % top-1 with 1.7 %
wrong on the probe, where single-score thresholds traded one for the other).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

# How many of each voter's classes count towards the fused ranking of suggestions.
FUSED_DEPTH = 5
# Reciprocal-rank fusion's constant (Cormack et al. 2009 use 60 for long lists; short lists
# of a few topics need the first places to weigh more).
RRF_K = 1.0


@dataclass(frozen=True, slots=True)
class Vote:
    """One voter's classes, best first, with its scores (for logs and confidence)."""

    voter: str
    ranked: tuple[str, ...]
    scores: tuple[float, ...]

    @property
    def top(self) -> str | None:
        return self.ranked[0] if self.ranked else None


@dataclass(frozen=True, slots=True)
class Referee:
    """Caution when only two of three voters agree: the dissent is weighed through one voter's
    calibrated scores (the classifier's probabilities; the others' scores are not comparable
    across questions). A pair that leaves the referee out needs the referee's probability for
    the pair's class to reach `min_probability`; a pair that includes it needs its first class
    to lead its second by `min_margin`. Otherwise the answerer abstains with its buttons: a
    wrong answer costs more than three good buttons (issue 11, accented paraphrases wrong
    12 %). Chosen on the k-fold estimate, bench/eval_answers.py. Classes in `spared` (the
    out-of-scope class: its majority already declines to answer) are not refereed."""

    voter: str
    min_probability: float
    min_margin: float
    spared: frozenset[str] = frozenset()

    def accepts(self, votes: Sequence[Vote], winner: str, agreeing: Sequence[str]) -> bool:
        """Whether a two-voter majority on `winner` stands (unanimity and one-voter splits
        are not its business)."""
        if len(votes) < 3 or len(agreeing) != 2 or winner in self.spared:
            return True
        referee = next((v for v in votes if v.voter == self.voter), None)
        if referee is None or not referee.ranked:
            return True
        if self.voter in agreeing:
            second = referee.scores[1] if len(referee.scores) > 1 else 0.0
            return referee.scores[0] - second >= self.min_margin
        if winner not in referee.ranked:
            return self.min_probability <= 0
        return referee.scores[referee.ranked.index(winner)] >= self.min_probability


@dataclass(frozen=True, slots=True)
class Decision:
    winner: str | None  # a class two voters agree on, or None
    agreeing: tuple[str, ...]  # the voters that named it
    fused: tuple[str, ...]  # every class, best first by reciprocal-rank fusion


def needs_third(fast: Sequence[Vote], referee: str, unsure_below: float) -> bool:
    """Whether the slow third voter (the dense model, ~10–50 ms) must be asked: the fast
    voters disagree, or they agree while the referee's probability for their class is below
    `unsure_below` (then a dissenting third voter makes it a two-of-three majority, which the
    `Referee` checks)."""
    tops = {v.top for v in fast}
    if len(tops) != 1 or None in tops:
        return True
    sure = next((v.scores[0] for v in fast if v.voter == referee and v.scores), 1.0)
    return sure < unsure_below


def decide(
    votes: Sequence[Vote],
    needed: int = 2,
    alone: tuple[str, float] | None = None,
    referee: Referee | None = None,
) -> Decision:
    """The class at least `needed` voters put first, or None; ties cannot occur with three
    voters and needed=2 (two different pairs would need four votes).

    `alone` = (voter, score): when three or more voters all name different classes, that
    voter's class wins if its score reaches `score` (the supervised classifier's probability:
    in a three-way split it was right far more often than the others — k-fold +1.0 point
    top-1 for +0.1 wrong at 0.5, measured in bench/eval_answers.py).

    `referee`: a two-of-three majority that the referee does not back (`Referee.accepts`)
    abstains, with the same fused ranking as buttons."""
    tops = Counter(v.top for v in votes if v.top is not None)
    winner, count = tops.most_common(1)[0] if tops else (None, 0)
    fused: dict[str, float] = {}
    for vote in votes:
        for rank, cls in enumerate(vote.ranked[:FUSED_DEPTH]):
            fused[cls] = fused.get(cls, 0.0) + 1 / (RRF_K + rank)
    order = tuple(sorted(fused, key=lambda c: (-fused[c], c)))
    if count < needed and alone is not None and len(votes) >= 3 and len(tops) == len(votes):
        voter, floor = alone
        lone = next((v for v in votes if v.voter == voter and v.top is not None), None)
        if lone is not None and lone.scores[0] >= floor:
            return Decision(lone.top, (voter,), order)
    if count < needed:
        return Decision(None, (), order)
    agreeing = tuple(v.voter for v in votes if v.top == winner)
    if referee is not None and winner is not None and not referee.accepts(votes, winner, agreeing):
        return Decision(None, (), order)
    return Decision(winner, agreeing, order)
