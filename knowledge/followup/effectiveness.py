"""The effectiveness report as a pure computation over plain rows (no database, no rendering).

Figures follow the programme's own evaluation (2026 guidance: results after support; Quảng
Ninh 2014–2020: "1 đồng khuyến công thu hút 7 đồng" = own capital ÷ state support). Honest
numbers: a before/after figure only uses establishments that gave both values (a missing
answer is never a zero); a percentage is only given when it rests on at least
`MIN_ESTABLISHMENTS` establishments; every figure carries the count it rests on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

MIN_ESTABLISHMENTS = 3
# The baseline/check-in answers compared before and after (same step ids in both forms).
JOBS, WAGE, REVENUE, OPERATING = "workers", "wage", "revenue", "operating"


@dataclass(frozen=True, slots=True)
class CheckinRow:
    """One planned check-in: whether it reached the owner, and what they answered."""

    offset_months: int
    asked: bool
    answers: Mapping[str, Any] = field(default_factory=dict)

    @property
    def answered(self) -> bool:
        return self.answers.get(OPERATING) in ("yes", "no")


@dataclass(frozen=True, slots=True)
class EstablishmentRow:
    """One supported dossier: money in đồng, the baseline answers and its check-ins."""

    support_id: int
    establishment: str
    province: str | None
    support_type: str
    sector: str | None
    state_support: int
    own_capital: int
    completed_on: date
    baseline: Mapping[str, Any] = field(default_factory=dict)
    checkins: tuple[CheckinRow, ...] = ()
    refused: bool = False

    def latest_answer(self) -> CheckinRow | None:
        answered = [c for c in self.checkins if c.answered]
        return max(answered, key=lambda c: c.offset_months) if answered else None

    @property
    def stopped(self) -> bool:
        latest = self.latest_answer()
        return latest is not None and latest.answers.get(OPERATING) == "no"

    @property
    def not_answering(self) -> bool:
        """Its latest delivered check-in has no answer (and the owner did not refuse)."""
        asked = [c for c in self.checkins if c.asked]
        if self.refused or not asked:
            return False
        return not max(asked, key=lambda c: c.offset_months).answered

    def after(self, key: str) -> int | None:
        """The latest answered value of `key` while still operating (None: not known)."""
        for checkin in sorted(self.checkins, key=lambda c: -c.offset_months):
            if checkin.answered and checkin.answers.get(OPERATING) == "yes":
                value = checkin.answers.get(key)
                if isinstance(value, int) and not isinstance(value, bool):
                    return value
        return None

    def pair(self, key: str) -> tuple[int, int] | None:
        before, after = self.baseline.get(key), self.after(key)
        if isinstance(before, int) and not isinstance(before, bool) and after is not None:
            return before, after
        return None


@dataclass(frozen=True, slots=True)
class BeforeAfter:
    """Sums over the `n` establishments that gave both values."""

    n: int = 0
    before: int = 0
    after: int = 0

    @property
    def change_percent(self) -> float | None:
        if self.n < MIN_ESTABLISHMENTS or self.before <= 0:
            return None
        return 100 * (self.after - self.before) / self.before

    @property
    def average_before(self) -> float | None:
        return self.before / self.n if self.n else None

    @property
    def average_after(self) -> float | None:
        return self.after / self.n if self.n else None


@dataclass(frozen=True, slots=True)
class GroupFigures:
    """Everything the report says about one group (a province, support type, sector, or all)."""

    key: str
    establishments: int
    state_support: int
    own_capital: int
    jobs: BeforeAfter
    wage: BeforeAfter
    revenue: BeforeAfter
    asked: int  # check-ins delivered
    answered: int  # of those, answered
    asked_establishments: int
    stopped: tuple[str, ...]
    not_answering: tuple[str, ...]
    refused: tuple[str, ...]

    @property
    def leverage(self) -> float | None:
        """Own capital ÷ state support (đồng of own money per đồng of khuyến công)."""
        return self.own_capital / self.state_support if self.state_support > 0 else None

    @property
    def response_rate(self) -> float | None:
        if self.asked_establishments < MIN_ESTABLISHMENTS or not self.asked:
            return None
        return 100 * self.answered / self.asked


@dataclass(frozen=True, slots=True)
class EffectivenessReport:
    province: str | None
    year: int | None
    total: GroupFigures
    by_province: tuple[GroupFigures, ...]
    by_support_type: tuple[GroupFigures, ...]
    by_sector: tuple[GroupFigures, ...]
    rows: tuple[EstablishmentRow, ...]


def _pairs(rows: list[EstablishmentRow], key: str) -> BeforeAfter:
    found = [p for p in (r.pair(key) for r in rows) if p is not None]
    return BeforeAfter(len(found), sum(b for b, _ in found), sum(a for _, a in found))


def figures(key: str, rows: Iterable[EstablishmentRow]) -> GroupFigures:
    """The figures of one group of establishments."""
    rows = list(rows)
    asked = [c for r in rows for c in r.checkins if c.asked]
    return GroupFigures(
        key=key,
        establishments=len(rows),
        state_support=sum(r.state_support for r in rows),
        own_capital=sum(r.own_capital for r in rows),
        jobs=_pairs(rows, JOBS),
        wage=_pairs(rows, WAGE),
        revenue=_pairs(rows, REVENUE),
        asked=len(asked),
        answered=sum(1 for c in asked if c.answered),
        asked_establishments=sum(1 for r in rows if any(c.asked for c in r.checkins)),
        stopped=tuple(sorted(r.establishment for r in rows if r.stopped)),
        not_answering=tuple(sorted(r.establishment for r in rows if r.not_answering)),
        refused=tuple(sorted(r.establishment for r in rows if r.refused)),
    )


def _grouped(
    rows: list[EstablishmentRow], key_of: Callable[[EstablishmentRow], str | None]
) -> tuple[GroupFigures, ...]:
    groups: dict[str, list[EstablishmentRow]] = {}
    for row in rows:
        groups.setdefault(key_of(row) or "", []).append(row)
    return tuple(figures(key, members) for key, members in sorted(groups.items()))


def compute(
    rows: Iterable[EstablishmentRow], *, province: str | None = None, year: int | None = None
) -> EffectivenessReport:
    """Filter by province code and completion year, then total and break down the figures."""
    kept = [
        r
        for r in rows
        if (province is None or r.province == province)
        and (year is None or r.completed_on.year == year)
    ]
    kept.sort(key=lambda r: (r.province or "", r.completed_on, r.support_id))
    return EffectivenessReport(
        province=province,
        year=year,
        total=figures("", kept),
        by_province=_grouped(kept, lambda r: r.province),
        by_support_type=_grouped(kept, lambda r: r.support_type),
        by_sector=_grouped(kept, lambda r: r.sector),
        rows=tuple(kept),
    )
