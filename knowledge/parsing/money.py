"""Amounts of money as owners type them: "1,5 tỷ", "500tr", "2.000.000.000", "2 tỷ rưỡi"."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from knowledge.parsing.errors import ParseError
from knowledge.parsing.fold import fold

_UNITS = {
    "ty": 1_000_000_000,
    "trieu": 1_000_000,
    "tr": 1_000_000,
    "nghin": 1_000,
    "ngan": 1_000,
    "k": 1_000,
}
_CURRENCY = {"dong", "d", "vnd", "vn"}
# Words people put around an amount that do not change it.
_FILLER = {"khoang", "tam", "chung", "la", "tong", "cong", "du", "kien", "het"}
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[a-z]+|\S")
# 10.000 tỷ đồng: far above any khuyến công đề án; larger input is a typing slip.
MAX_AMOUNT = 10_000 * 1_000_000_000
_EXAMPLE = 'ví dụ "1,5 tỷ", "500 triệu" hoặc "2.000.000.000"'


def _error(reason: str) -> ParseError:
    return ParseError(f"{reason} Anh/chị gõ số tiền, {_EXAMPLE} ạ.")


def parse_number(token: str) -> Decimal:
    """ "1,5" and "1.5" are decimals; "1.500.000" and "1,500,000" group thousands."""
    parts = re.split(r"[.,]", token)
    seps = re.findall(r"[.,]", token)
    if not seps:
        return Decimal(token)
    groups_of_three = all(len(p) == 3 for p in parts[1:]) and 1 <= len(parts[0]) <= 3
    if len(set(seps)) == 1:
        if groups_of_three and (len(seps) > 1 or len(parts[1]) == 3):
            return Decimal("".join(parts))
        if len(seps) == 1:
            return Decimal(f"{parts[0]}.{parts[1]}")
        raise _error(f'Dạ, em chưa đọc được con số "{token}".')
    # Both separators: the last one is the decimal mark, the other groups thousands.
    decimal_mark = seps[-1]
    if seps.count(decimal_mark) != 1:
        raise _error(f'Dạ, em chưa đọc được con số "{token}".')
    whole, _, frac = token.rpartition(decimal_mark)
    whole_parts = re.split(r"[.,]", whole)
    if not (1 <= len(whole_parts[0]) <= 3 and all(len(p) == 3 for p in whole_parts[1:])):
        raise _error(f'Dạ, em chưa đọc được con số "{token}".')
    return Decimal(f"{''.join(whole_parts)}.{frac}")


def parse_money(text: str) -> int:
    """The amount in đồng (> 0); raises ParseError with a reason and an example."""
    folded = fold(text or "")
    if not folded:
        raise _error("Dạ, em chưa nhận được số tiền.")
    tokens = [t for t in _TOKEN.findall(folded) if t not in _FILLER and t not in _CURRENCY]
    if any(t in {"-", "âm", "am"} for t in tokens):
        raise _error("Dạ, số tiền không thể là số âm.")
    try:
        total = _sum_segments(tokens)
    except InvalidOperation:
        raise _error("Dạ, em chưa đọc được số tiền này.") from None
    # Checked before rounding: quantize fails on numbers beyond Decimal's 28 digits.
    if total > MAX_AMOUNT:
        raise _error("Dạ, số tiền này lớn quá, có thể anh/chị gõ thừa số 0.")
    amount = int(total.quantize(Decimal(1), ROUND_HALF_UP))
    if amount <= 0:
        raise _error("Dạ, số tiền phải lớn hơn 0.")
    return amount


def _sum_segments(tokens: list[str]) -> Decimal:
    total = Decimal(0)
    last_unit: int | None = None
    i = 0
    saw_number = False
    while i < len(tokens):
        token = tokens[i]
        if not token[0].isdigit():
            raise _error(f'Dạ, em chưa hiểu chữ "{token}" trong số tiền.')
        saw_number = True
        value = parse_number(token)
        i += 1
        if i < len(tokens) and tokens[i] == "tram":
            value *= 100
            i += 1
        unit = _UNITS.get(tokens[i]) if i < len(tokens) else None
        if unit is None:
            total += _bare(token, value, last_unit, at_end=i == len(tokens))
            continue
        if last_unit is not None and unit >= last_unit:
            raise _error("Dạ, các đơn vị trong số tiền bị lặp hoặc sai thứ tự.")
        i += 1
        total += value * unit
        last_unit = unit
        if i < len(tokens) and tokens[i] == "ruoi":
            total += Decimal(unit) / 2
            i += 1
    if not saw_number:
        raise _error("Dạ, em chưa thấy con số nào.")
    return total


def _bare(token: str, value: Decimal, last_unit: int | None, *, at_end: bool) -> Decimal:
    """A number with no unit: đồng on its own, or the spoken tail of "2 tỷ 5" (= 2,5 tỷ)."""
    if not at_end:
        raise _error(f'Dạ, em chưa hiểu con số "{token}" đứng ở giữa.')
    if last_unit is not None:
        if not token.isdigit() or len(token) > 3:
            raise _error(f'Dạ, phần "{token}" sau đơn vị chưa rõ.')
        return value * last_unit / Decimal(10) ** len(token)
    if value < 1000:
        raise _error(f'Dạ, "{token}" thiếu đơn vị (đồng, triệu hay tỷ?).')
    return value
