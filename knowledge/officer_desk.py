"""The officers' desk: working hours and hand-off phrases, `knowledge/officer/desk.yaml`.

Used by the "Hỏi cán bộ" hand-off (handlers/tickets.py): the owner is told when officers
usually answer, and an unanswered question reminds the officer chat after
`remind_after_days` working days (once).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path

from knowledge.parsing.fold import fold
from knowledge.yamlfile import KnowledgeError, LineDict, load_yaml

_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True, slots=True)
class OfficerDesk:
    days: frozenset[int]  # ISO weekdays, 1 = Monday
    opens: time
    closes: time
    answer_within_days: int
    remind_after_days: int
    handoff_phrases: tuple[str, ...]  # folded (no diacritics, lower case)

    def wants_officer(self, text: str) -> bool:
        """True when the text asks for a person ("tôi muốn gặp cán bộ", "cho em nói chuyện
        với người thật"), with or without diacritics."""
        folded = f" {fold(text)} "
        return any(f" {phrase} " in folded for phrase in self.handoff_phrases)

    def add_working_days(self, local: datetime, days: int) -> datetime:
        """`local` (aware, in the service's timezone) moved forward by `days` working days,
        at the same time of day, or at opening time when `local` was outside working hours."""
        moment = local
        if moment.isoweekday() not in self.days or moment.time() >= self.closes:
            moment = self._next_open(moment)
        elif moment.time() < self.opens:
            moment = moment.replace(hour=self.opens.hour, minute=self.opens.minute, second=0)
        for _ in range(days):
            moment += timedelta(days=1)
            while moment.isoweekday() not in self.days:
                moment += timedelta(days=1)
        return moment

    def _next_open(self, moment: datetime) -> datetime:
        day = moment + timedelta(days=1)
        while day.isoweekday() not in self.days:
            day += timedelta(days=1)
        return day.replace(hour=self.opens.hour, minute=self.opens.minute, second=0, microsecond=0)

    def hours_text(self) -> str:
        """ "thứ Hai – thứ Sáu, 07:30–17:00" style summary for the owner."""
        names = {1: "thứ Hai", 2: "thứ Ba", 3: "thứ Tư", 4: "thứ Năm", 5: "thứ Sáu",
                 6: "thứ Bảy", 7: "Chủ nhật"}  # fmt: skip
        ordered = sorted(self.days)
        if ordered == list(range(ordered[0], ordered[-1] + 1)) and len(ordered) > 2:
            days = f"{names[ordered[0]]} – {names[ordered[-1]]}"
        else:
            days = ", ".join(names[d] for d in ordered)
        return f"{days}, {self.opens:%H:%M}–{self.closes:%H:%M}"


def _time(path: Path, data: LineDict, key: str) -> time:
    value = data.get(key)
    match = _TIME.match(value) if isinstance(value, str) else None
    if match is None:
        raise KnowledgeError(path, data.line_of(key), f'{key}: expected a time like "07:30"')
    return time(int(match[1]), int(match[2]))


def _days(path: Path, data: LineDict, key: str, low: int, high: int) -> int:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise KnowledgeError(path, data.line_of(key), f"{key}: a whole number {low}–{high}")
    return value


def load_desk(path: Path) -> OfficerDesk:
    """Load and validate the desk file; raises KnowledgeError with file:line."""
    data = load_yaml(path)
    if not isinstance(data, LineDict):
        raise KnowledgeError(path, 1, "expected a mapping")
    days = data.get("days")
    if (
        not isinstance(days, list)
        or not days
        or not all(isinstance(d, int) and not isinstance(d, bool) and 1 <= d <= 7 for d in days)
    ):
        raise KnowledgeError(path, data.line_of("days"), "days: a list of weekdays 1–7")
    opens, closes = _time(path, data, "opens"), _time(path, data, "closes")
    if closes <= opens:
        raise KnowledgeError(path, data.line_of("closes"), "closes must be after opens")
    phrases = data.get("handoff_phrases")
    if not isinstance(phrases, list) or not all(isinstance(p, str) and p.strip() for p in phrases):
        raise KnowledgeError(
            path, data.line_of("handoff_phrases"), "handoff_phrases: a list of phrases"
        )
    return OfficerDesk(
        days=frozenset(days),
        opens=opens,
        closes=closes,
        answer_within_days=_days(path, data, "answer_within_days", 0, 30),
        remind_after_days=_days(path, data, "remind_after_days", 1, 30),
        handoff_phrases=tuple(dict.fromkeys(fold(p) for p in phrases)),
    )
