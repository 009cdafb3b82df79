"""Dates as owners type them: "01/03/2027", "1-3-2027", "15/6", "tháng 3/2027", "quý 2 năm 2027",
"mùng 5 tháng 3 năm 2027", "tháng chín", "thg 9/2027", "năm 2027", and relative to `today`:
"tháng sau", "năm sau", "tuần sau" (its Monday), "cuối tháng 3", "đầu năm sau", "giữa tháng 6".
"tháng giêng"/"tháng chạp" are lunar months: asked back as a solar date, never converted.

A month or quarter stands for its first day, or its last day with `end=True` (an end date).
A day and month without a year mean their next occurrence from `today` (today included).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata

from knowledge.parsing.errors import ParseError
from knowledge.parsing.fold import fold
from knowledge.parsing.money import _spoken

_EXAMPLE = 'ví dụ "01/03/2027", "tháng 3/2027" hoặc "quý 2 năm 2027"'
MIN_YEAR, MAX_YEAR = 1900, 2200
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_SEP = r"\s*[/\-.]\s*"
_FULL = re.compile(rf"(?:ngay\s*)?(\d{{1,2}}){_SEP}(\d{{1,2}}){_SEP}(\d{{2}}|\d{{4}})")
_WORDS = re.compile(r"(?:ngay\s*)?(\d{1,2})\s+thang\s+(\d{1,2})(?:\s*(?:nam|/|-)\s*(\d{4}))?")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DAY_MONTH = re.compile(rf"(?:ngay\s*)?(\d{{1,2}}){_SEP}(\d{{1,2}})")
_MONTH = re.compile(r"(?:thang\s*)?(\d{1,2})(?:\s*(?:/|-|\.|nam)\s*|\s+)(\d{4})|thang\s*(\d{1,2})")
_YEAR = re.compile(r"nam\s*(\d{4})")
_PART = re.compile(r"(dau|giua|cuoi)\s+(.+)")
_SPOKEN = r"(?:muoi|mot|hai|ba|tu|bon|nam|lam|bay|tam|chin)"
_MONTH_WORD = re.compile(rf"\b(thang|mung|mong)\s+({_SPOKEN}(?:\s+{_SPOKEN})*)")
_LUNAR = re.compile(r"\bthang\s+(gieng|chap)\b|\bam lich\b|\bal\b")
_RELATIVE = {"sau", "toi", "nay"}
_QUARTER = re.compile(r"quy\s*(\d|iv|iii|ii|i)(?:\s*(?:/|-|nam)\s*|\s+)?(\d{4})?")


def _error(reason: str) -> ParseError:
    return ParseError(f"{reason} Anh/chị gõ ngày theo dạng ngày/tháng/năm, {_EXAMPLE} ạ.")


def _year(raw: str) -> int:
    year = int(raw)
    if len(raw) == 2:
        year += 2000
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise _error(f"Dạ, năm {raw} chưa hợp lệ.")
    return year


def _month(raw: str) -> int:
    month = int(raw)
    if not 1 <= month <= 12:
        raise _error(f"Dạ, tháng {raw} không có (tháng từ 1 đến 12).")
    return month


def _make(year: int, month: int, day: int) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise _error(f"Dạ, ngày {day:02d}/{month:02d}/{year} không có trên lịch.") from None


def _span(year: int, first_month: int, months: int, end: bool) -> dt.date:
    if not end:
        return dt.date(year, first_month, 1)
    last_month = first_month + months - 1
    return dt.date(year, last_month, calendar.monthrange(year, last_month)[1])


def _words_to_digits(match: re.Match[str]) -> str:
    """ "tháng chín" → "thang 9", "mùng mười" → "10"; words after a month digit stay."""
    words = match[2].split()
    # "tháng năm 2027" is May; "5 tháng 3 năm 2027" never reaches here (digits).
    for cut in range(len(words), 0, -1):
        value = _spoken(words[:cut])
        # "tháng mười năm 2027": 10, then the year — not "mười năm" = 15.
        if value is not None and 1 <= value <= (12 if match[1] == "thang" else 31):
            rest = " ".join(words[cut:])
            head = "thang " if match[1] == "thang" else ""
            return f"{head}{value} {rest}".strip()
    return match[0]


def _clean(text: str) -> str:
    # "tháng sáu" is June, "thang sau" (folded alike) is next month: the accent decides, so
    # "sáu" becomes a digit before folding; "sau" without it stays "next".
    text = re.sub(r"\bsáu\b", "6", unicodedata.normalize("NFC", (text or "").lower()))
    folded = fold(text).removesuffix(".").strip()
    folded = re.sub(r"\bthg\b\.?", "thang", folded)
    folded = _MONTH_WORD.sub(_words_to_digits, folded)
    folded = re.sub(r"\b(?:mung|mong)\s*(?=\d)", "", folded)
    return " ".join(folded.split())


def _relative(folded: str, today: dt.date, end: bool) -> dt.date | None:
    """ "tháng sau", "năm nay", "tuần tới", "cuối tháng 3", "đầu năm sau", "giữa tháng 6"."""
    if m := _PART.fullmatch(folded):
        part, rest = m[1], m[2]
        if rest in ("thang", "nam"):
            rest += " nay"
        if part == "giua":
            first = parse_date(rest, today=today)
            if not (rest.startswith("thang") or rest[:1].isdigit()):
                raise _error("Dạ, “giữa” em chỉ đọc được với một tháng.")
            return first + dt.timedelta(days=14)
        return parse_date(rest, today=today, end=part == "cuoi")
    words = folded.split()
    if len(words) != 2 or words[1] not in _RELATIVE:
        return None
    step = 0 if words[1] == "nay" else 1
    if words[0] == "thang":
        year, month = divmod(today.month - 1 + step, 12)
        return _span(today.year + year, month + 1, 1, end)
    if words[0] == "nam":
        return _span(today.year + step, 1, 12, end)
    if words[0] == "tuan":
        monday = today - dt.timedelta(days=today.weekday()) + dt.timedelta(weeks=step)
        return monday + dt.timedelta(days=6) if end else monday
    return None


def parse_date(text: str, *, today: dt.date, end: bool = False) -> dt.date:
    """The date meant by `text`; raises ParseError (reason and example) when there is none."""
    if len(text or "") > 60:
        raise _error("Dạ, câu trả lời dài quá so với một ngày.")
    folded = _clean(text)
    if not folded:
        raise _error("Dạ, em chưa nhận được ngày.")
    if len(folded) > 40:
        raise _error("Dạ, câu trả lời dài quá so với một ngày.")
    if _LUNAR.search(folded):
        raise _error("Dạ, em chỉ ghi ngày dương lịch; anh/chị đổi giúp em sang dương lịch.")
    relative = _relative(folded, today, end)
    if relative is not None:
        return relative
    if m := _YEAR.fullmatch(folded):
        return _span(_year(m[1]), 1, 12, end)
    if m := _FULL.fullmatch(folded):
        return _make(_year(m[3]), _month(m[2]), int(m[1]))
    if m := _ISO.fullmatch(folded):
        return _make(_year(m[1]), _month(m[2]), int(m[3]))
    if m := _WORDS.fullmatch(folded):
        if m[3]:
            return _make(_year(m[3]), _month(m[2]), int(m[1]))
        return _next_day_month(int(m[1]), _month(m[2]), today)
    if m := _DAY_MONTH.fullmatch(folded):
        return _next_day_month(int(m[1]), _month(m[2]), today)
    if m := _MONTH.fullmatch(folded):
        if m[3]:
            month = _month(m[3])
            year = today.year if month >= today.month else today.year + 1
        else:
            month, year = _month(m[1]), _year(m[2])
        return _span(year, month, 1, end)
    if m := _QUARTER.fullmatch(folded):
        quarter = int(m[1]) if m[1].isdigit() else _ROMAN[m[1]]
        if not 1 <= quarter <= 4:
            raise _error(f"Dạ, quý {m[1]} không có (quý từ 1 đến 4).")
        first_month = 3 * (quarter - 1) + 1
        if m[2]:
            year = _year(m[2])
        else:
            year = today.year if quarter >= (today.month - 1) // 3 + 1 else today.year + 1
        return _span(year, first_month, 3, end)
    raise _error("Dạ, em chưa đọc được ngày này.")


def _next_day_month(day: int, month: int, today: dt.date) -> dt.date:
    """The next 15/6 from today: this year if it has not passed, otherwise next year."""
    if day == 29 and month == 2:
        year = today.year
        while not calendar.isleap(year) or dt.date(year, 2, 29) < today:
            year += 1
        return dt.date(year, 2, 29)
    candidate = _make(today.year, month, day)
    return candidate if candidate >= today else _make(today.year + 1, month, day)
