"""The budget of an intake: counterpart funds, and the requested support against rate and cap."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from knowledge.forms.schema import Form, SupportLimit


@dataclass(frozen=True, slots=True)
class BudgetCheck:
    total: int
    requested: int
    limit: SupportLimit | None
    support_type: str | None

    @property
    def counterpart(self) -> int:
        return self.total - self.requested

    @property
    def requested_percent(self) -> float:
        return 100 * self.requested / self.total if self.total else 0.0

    @property
    def by_rate(self) -> int | None:
        """The most the rate allows for this total (None where no rate is known)."""
        if self.limit is None or self.limit.rate_percent is None:
            return None
        return self.total * self.limit.rate_percent // 100

    @property
    def over_rate(self) -> bool:
        return self.by_rate is not None and self.requested > self.by_rate

    @property
    def over_cap(self) -> bool:
        return bool(self.limit and self.limit.cap is not None and self.requested > self.limit.cap)


def check_budget(form: Form, answers: dict[str, Any]) -> BudgetCheck | None:
    """None until both amounts are known; never changes what the owner asked for."""
    if form.budget is None:
        return None
    total = answers.get(form.budget.total)
    requested = answers.get(form.budget.requested)
    if not isinstance(total, int) or not isinstance(requested, int):
        return None
    support_type = answers.get(form.budget.support_type)
    limit = form.limits.get(support_type) if isinstance(support_type, str) else None
    return BudgetCheck(total, requested, limit, support_type)
