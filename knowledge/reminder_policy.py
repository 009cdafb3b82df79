"""When reminders go out: `knowledge/reminders/policy.yaml` (offsets, hour, quiet hours and
the kinds they hold).

Offsets of calendar and personal deadlines are read at materialisation, so an edit applies to
deadlines already stored; milestone offsets are chosen per milestone when a dossier is
acknowledged (TT 36/2013/TT-BCT Đ18, Đ21, Đ23).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Any

from knowledge.yamlfile import KnowledgeError, LineDict, load_mapping

DEADLINE_KINDS = ("calendar", "personal")
MILESTONES = ("start", "report", "end", "acceptance", "dossier", "settlement")
OUTBOX_KINDS = ("reminder", "broadcast", "notice", "intake", "checkin")
_MAX_DAYS = 366


@dataclass(frozen=True, slots=True)
class QuietHours:
    """A local-time window [start, end) in whole hours; it may wrap midnight (21-7)."""

    start: int
    end: int

    def contains(self, hour: int) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= hour < self.end
        return hour >= self.start or hour < self.end

    def __str__(self) -> str:
        return f"{self.start}-{self.end}"


def parse_quiet_hours(text: str) -> QuietHours:
    """"21-7" → QuietHours(21, 7); ValueError naming the expected shape otherwise."""
    start, sep, end = text.strip().partition("-")
    if not sep or not start.strip().isdigit() or not end.strip().isdigit():
        raise ValueError("expected 'START-END' in hours, e.g. 21-7")
    hours = int(start), int(end)
    if not all(0 <= h <= 23 for h in hours):
        raise ValueError("hours must be between 0 and 23")
    return QuietHours(*hours)


@dataclass(frozen=True, slots=True)
class ReminderPolicy:
    remind_at: time
    offsets: dict[str, tuple[int, ...]]  # by deadline kind (calendar, personal)
    milestones: dict[str, tuple[int, ...]]  # by milestone (start, report, …)
    quiet_kinds: frozenset[str]  # outbox kinds held during quiet hours
    # The local-time window that holds `quiet_kinds`; BOT_QUIET_HOURS overrides it.
    quiet_hours: QuietHours = QuietHours(21, 7)

    def offsets_for(self, kind: str, stored: tuple[int, ...]) -> tuple[int, ...]:
        """The offsets to plan for a deadline of `kind`: the policy's, else those stored with
        it (milestones keep the offsets chosen for them)."""
        return self.offsets.get(kind, stored)


def _offsets(path: Path, node: Any, line: int, where: str) -> tuple[int, ...]:
    if (
        not isinstance(node, list)
        or not node
        or not all(isinstance(d, int) and not isinstance(d, bool) for d in node)
    ):
        raise KnowledgeError(path, line, f"{where}: expected a list of whole days, e.g. [7, 1, 0]")
    if any(d < 0 or d > _MAX_DAYS for d in node) or len(set(node)) != len(node):
        raise KnowledgeError(
            path, line, f"{where}: days must be distinct, between 0 and {_MAX_DAYS}"
        )
    return tuple(sorted(node, reverse=True))


def _table(path: Path, data: LineDict, key: str, names: tuple[str, ...]) -> dict[str, Any]:
    node = data.get(key)
    if not isinstance(node, LineDict):
        raise KnowledgeError(path, data.line_of(key), f"'{key}' must be a mapping")
    unknown = sorted(set(node) - set(names))
    missing = [n for n in names if n not in node]
    if unknown or missing:
        problem = f"unknown {unknown}" if unknown else f"missing {missing}"
        line = node.line_of(unknown[0]) if unknown else data.line_of(key)
        raise KnowledgeError(path, line, f"{key}: {problem}; expected {', '.join(names)}")
    return {n: _offsets(path, node[n], node.line_of(n), f"{key}.{n}") for n in names}


def load_policy(path: Path) -> ReminderPolicy:
    """Raises KnowledgeError (file:line) on the first problem."""
    data = load_mapping(path, "with remind_at, offsets, milestones")
    raw_time = data.get("remind_at")
    try:
        remind_at = time.fromisoformat(str(raw_time))
    except ValueError:
        raise KnowledgeError(
            path, data.line_of("remind_at"), f"remind_at: expected HH:MM, got {raw_time!r}"
        ) from None
    kinds = data.get("quiet_kinds")
    if not isinstance(kinds, list) or not set(kinds) <= set(OUTBOX_KINDS):
        raise KnowledgeError(
            path,
            data.line_of("quiet_kinds"),
            f"quiet_kinds: a list of outbox kinds among {', '.join(OUTBOX_KINDS)}",
        )
    raw_quiet = data.get("quiet_hours", "21-7")
    try:
        quiet_hours = parse_quiet_hours(str(raw_quiet))
    except ValueError as exc:
        raise KnowledgeError(path, data.line_of("quiet_hours"), f"quiet_hours: {exc}") from None
    return ReminderPolicy(
        remind_at=remind_at,
        quiet_hours=quiet_hours,
        offsets=_table(path, data, "offsets", DEADLINE_KINDS),
        milestones=_table(path, data, "milestones", MILESTONES),
        quiet_kinds=frozenset(kinds),
    )
