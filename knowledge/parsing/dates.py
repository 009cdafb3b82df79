"""Stand-in date parser (dd/mm, dd/mm/yyyy, "ngày 15/6"); the intake branch replaces it."""

from __future__ import annotations

import datetime as dt
import re

from knowledge.parsing.errors import ParseError

_DATE = re.compile(r"^(?:ngày\s+)?(\d{1,2})\s*[/.-]\s*(\d{1,2})(?:\s*[/.-]\s*(\d{2}|\d{4}))?$")


def parse_date(text: str, *, today: dt.date) -> dt.date:
    """A day without a year is the next such day from `today` (deadlines lie ahead)."""
    match = _DATE.match(text.strip().lower())
    if match is None:
        raise ParseError("Dạ, anh/chị nhập ngày theo dạng ngày/tháng/năm, ví dụ 15/06/2026 ạ.")
    day, month, year_text = int(match[1]), int(match[2]), match[3]
    year = int(year_text) if year_text else today.year
    if year_text and len(year_text) == 2:
        year += 2000
    try:
        value = dt.date(year, month, day)
        if not year_text and value < today:
            value = dt.date(year + 1, month, day)
    except ValueError:
        raise ParseError(
            f"Dạ, ngày {day}/{month} không có trên lịch, anh/chị xem lại giúp em ạ."
        ) from None
    return value
