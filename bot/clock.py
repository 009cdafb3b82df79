"""The real clock, and a settable one for tests and `--now` (handlers.ports.Clock)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FrozenClock needs a timezone-aware datetime")
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = at.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        self._at += delta


if TYPE_CHECKING:
    # Both clocks, checked by mypy against the Protocol the core reads the time through.
    from handlers.ports import Clock

    def _conforms(at: datetime) -> None:
        _system: Clock = SystemClock()
        _frozen: Clock = FrozenClock(at)
