"""Whole counts as owners type them: "35", "35 cn", "35 công nhân", "khoảng 20 người",
"hai chục người", "1.200 sản phẩm". A money amount ("20 tỷ", "20 triệu") is never a count,
nor is a range ("20-30 người") or a fraction ("1,5 người").

Reads figures with the same reader as money (`knowledge.parsing.money.number_tokens`).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from knowledge.parsing.errors import ParseError
from knowledge.parsing.money import _FILLER, _RANGE, read_decimal
from knowledge.parsing.money import number_tokens as _number_tokens

_MONEY_WORDS = {"ty", "trieu", "tr", "k", "dong", "vnd", "d", "cu", "toi"}
# "5 trăm người", "2 nghìn sản phẩm", "2 nghìn 5 trăm" stays two figures (asked back).
_MULTIPLIERS = {"tram": 100, "nghin": 1000, "ngan": 1000}
# "hơn 20", "gần 20", "trên 20 người": approximate figures an owner gives for a count.
_COUNT_FILLER = _FILLER | {"tren", "chung", "tat", "ca", "duoc", "so", "luong"}
MAX_COUNT = 10**9


def parse_count(text: str) -> int:
    """The whole number ≥ 0 in `text`; any words after it are its unit ("người", "cn").

    Raises ParseError (reason only; the caller adds its example) for money, ranges,
    fractions, negatives, several figures or none.
    """
    tokens = [t for t in _number_tokens(text) if t not in _COUNT_FILLER]
    figures = [i for i, t in enumerate(tokens) if t[:1].isdigit()]
    if not figures:
        raise ParseError("Dạ, em chưa thấy con số nào.")
    after = tokens[figures[0] + 1 :]
    multiplier = 1
    while after and after[0] in _MULTIPLIERS:
        multiplier *= _MULTIPLIERS[after.pop(0)]
    if after[:1] and after[0] in _MONEY_WORDS:
        raise ParseError("Dạ, đây là số tiền; câu này em cần một số đếm (người, cái…).")
    if "-" in tokens[: figures[0]]:
        raise ParseError("Dạ, con số không thể âm.")
    if len(figures) > 1:
        if any(t in _RANGE for t in tokens[figures[0] : figures[-1]]):
            raise ParseError("Dạ, đây là một khoảng; em cần một con số.")
        raise ParseError("Dạ, em thấy nhiều con số quá, em cần một số.")
    if figures[0] != 0:
        raise ParseError("Dạ, em chưa hiểu chữ đứng trước con số.")
    try:
        value = read_decimal(tokens[0])
    except (ParseError, InvalidOperation):
        raise ParseError("Dạ, em chưa đọc được con số này.") from None
    value *= multiplier
    if value != value.to_integral_value() or value > MAX_COUNT:
        raise ParseError("Dạ, em cần một số nguyên.")
    return int(value if value >= 0 else Decimal(0))
