"""Amounts of money as owners type them: "1,5 tỷ", "500tr", "2.000.000.000", "2 tỷ rưỡi",
"1tỷ2", "3 củ", "2 tỏi", "khoảng năm trăm triệu". A range ("300-400tr") is not a figure:
the owner is asked for one. Slang whose value varies by region ("lít", "xị") is asked back.

Also the one reader of typed figures (`read_decimal`, `number_tokens`) that counts
(`knowledge.parsing.counts`) and the eligibility reader share.
"""

from __future__ import annotations

import re
import unicodedata
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
# Slang every region reads the same: "3 củ" = 3 triệu, "2 tỏi" = 2 tỷ.
_SLANG = {"cu": "trieu", "toi": "ty"}
# Slang whose amount differs by region and speaker ("1 lít" is 100 nghìn for some, 1 triệu
# for others): asked back, never guessed.
_UNSURE = {"lit", "xi", "chai", "loe"}
_CURRENCY = {"dong", "d", "vnd", "vn"}
# Words people put around an amount that do not change it.
_FILLER = {"khoang", "tam", "chung", "la", "tong", "cong", "du", "kien", "het", "co", "gan", "hon"}
# Words between two figures that make a range ("300 đến 400 triệu", "300-400tr").
_RANGE = {"-", "den", "toi", "hoac", "~", "tu"}
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[a-z]+|\S")
# Spoken digits, folded. "tam", "tu", "nam", "sau" are also words ("tầm", "từ", "năm", "sau"):
# read as digits only inside a run of number words.
_DIGIT_WORDS = {
    "khong": 0, "mot": 1, "hai": 2, "ba": 3, "bon": 4, "tu": 4, "nam": 5, "lam": 5,
    "nham": 5, "sau": 6, "bay": 7, "tam": 8, "chin": 9,
}  # fmt: skip
_NUMBER_WORDS = set(_DIGIT_WORDS) | {"muoi", "tram", "linh", "le", "chuc", "ruoi"}
# 10.000 tỷ đồng: far above any khuyến công đề án; larger input is a typing slip.
MAX_AMOUNT = 10_000 * 1_000_000_000
_EXAMPLE = 'ví dụ "1,5 tỷ", "500 triệu" hoặc "2.000.000.000"'


def _error(reason: str, example: str = _EXAMPLE) -> ParseError:
    return ParseError(f"{reason} Anh/chị gõ số tiền, {example} ạ.")


def read_decimal(token: str) -> Decimal:
    """ "1,5" and "1.5" are decimals; "1.500.000" and "1,500,000" group thousands.

    Raises ParseError for "1,5,5" and other mixes that are neither.
    """
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


# Kept under its old name for callers that import it.
parse_number = read_decimal


def _spoken(words: list[str]) -> int | None:
    """ "năm trăm" 500, "hai mươi mốt" 21, "mười lăm" 15, "một trăm linh năm" 105,
    "hai trăm rưỡi" 250, "hai chục" 20; None when the words are not one number below 1000."""
    digits = [_DIGIT_WORDS.get(w) for w in words]
    total, i = 0, 0
    if len(words) >= 2 and digits[0] is not None and words[1] == "tram":
        total, i = digits[0] * 100, 2
        if i < len(words) and words[i] == "ruoi":
            return total + 50 if i + 1 == len(words) else None
        if i < len(words) and words[i] in ("linh", "le"):
            i += 1
            if i + 1 == len(words) and digits[i] is not None:
                return total + (digits[i] or 0)
            return None
    if i < len(words) and words[i] == "muoi":
        total, i = total + 10, i + 1
    elif i + 1 < len(words) and digits[i] is not None and words[i + 1] in ("muoi", "chuc"):
        total, i = total + (digits[i] or 0) * 10, i + 2
    if i < len(words) and words[i] == "mot" and total % 100 >= 20:
        return total + 1 if i + 1 == len(words) else None  # "hai mươi mốt"
    if i < len(words) and digits[i] is not None:
        total, i = total + (digits[i] or 0), i + 1
    return total if i == len(words) and i > 0 else None


def number_tokens(text: str) -> list[str]:
    """Folded tokens of `text` with spoken numbers turned into digits and slang units into
    their plain names: "khoảng năm trăm củ" → ["500", "trieu"]. Full-width digits read as
    ASCII. Fillers and currency words stay; callers drop what they do not need."""
    folded = fold(unicodedata.normalize("NFKC", text or ""))
    raw = _TOKEN.findall(folded)
    out: list[str] = []
    i = 0
    while i < len(raw):
        token = raw[i]
        nxt = raw[i + 1] if i + 1 < len(raw) else ""
        if token in _NUMBER_WORDS and token not in ("ruoi",) and not (
            token in ("tam", "tu", "nam", "sau", "co") and (nxt[:1].isdigit() or nxt == "")
        ):
            j = i
            while j < len(raw) and raw[j] in _NUMBER_WORDS:
                if raw[j] == "ruoi" and (j == i or raw[j - 1] != "tram"):
                    break
                j += 1
            value = _spoken(raw[i:j])
            if value is not None:
                out.append(str(value))
                i = j
                continue
        slang = _SLANG.get(token) if out and out[-1][:1].isdigit() else None
        if slang == "ty" and set(raw[i + 1 :]) & set(_UNITS) and nxt[:1].isdigit():
            slang = None  # "300 tới 400 triệu": a range, not 300 tỏi
        out.append(slang or token)
        i += 1
    return out


def _is_range(tokens: list[str]) -> bool:
    """Two figures joined by "-", "đến", "tới", "hoặc": "300-400tr", "3 đến 4 tỷ"."""
    for i in range(1, len(tokens) - 1):
        if tokens[i] in _RANGE and tokens[i + 1][:1].isdigit():
            before = tokens[i - 1]
            if before[:1].isdigit() or before in _UNITS:
                return True
    return False


def parse_money(text: str) -> int:
    """The amount in đồng (> 0); raises ParseError with a reason and an example."""
    tokens = number_tokens(text)
    if not tokens:
        raise _error("Dạ, em chưa nhận được số tiền.")
    unsure = next((t for t in tokens if t in _UNSURE), None)
    if unsure is not None:
        raise _error(
            "Dạ, mỗi nơi hiểu đơn vị này một khác, em không dám đoán.",
            'ví dụ "300 nghìn" hoặc "3 triệu"',
        )
    if _is_range([t for t in tokens if t not in _FILLER and t not in _CURRENCY]):
        raise _error(
            "Dạ, đây là một khoảng; em cần một con số để ghi vào hồ sơ.",
            'ví dụ "350 triệu" (anh/chị ước một con số)',
        )
    tokens = [t for t in tokens if t not in _FILLER and t not in _CURRENCY]
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
        value = read_decimal(token)
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
