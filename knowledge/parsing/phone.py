"""Vietnamese mobile numbers: "0912 345 678", "+84 912.345.678", "84912345678",
"+84 (0) 912-345-678", "0084 912 345 678", full-width "０９１２…" → one form, "0912345678".

Hand-written rather than `phonenumbers`: the question asks for a mobile the officer can call
or Zalo, the prefix list below (2018 renumbering) is the whole rule, and the error must say
in Vietnamese which part is wrong.
"""

from __future__ import annotations

import re
import unicodedata

from knowledge.parsing.errors import ParseError

# Mobile prefixes in use since the 2018 renumbering (03x, 05x, 07x, 08x, 09x).
_MOBILE_PREFIXES = frozenset(
    [f"03{d}" for d in "23456789"]
    + [f"05{d}" for d in "25689"]
    + [f"07{d}" for d in "06789"]
    + [f"08{d}" for d in "123456789"]
    + [f"09{d}" for d in "0123456789"]
)
_EXAMPLE = 'ví dụ "0912 345 678" hoặc "+84 912 345 678"'
_ALLOWED = re.compile(r"[\d\s.\-()+]+")


def _error(reason: str) -> ParseError:
    return ParseError(f"{reason} Anh/chị gõ số di động 10 chữ số, {_EXAMPLE} ạ.")


def parse_phone(text: str) -> str:
    """The number in national form "0912345678"; raises ParseError otherwise."""
    raw = unicodedata.normalize("NFKC", text or "").strip()
    # "+84 (0) 912…": the trunk 0 written after the country code is dropped.
    raw = re.sub(r"^(\(?\s*(?:\+|00)?\s*84\s*\)?)[\s.\-]*\(\s*0\s*\)", r"\1", raw)
    raw = re.sub(r"^00\s*84", "+84", raw)
    if not raw:
        raise _error("Dạ, em chưa nhận được số điện thoại.")
    if not _ALLOWED.fullmatch(raw) or raw.count("+") > 1 or "+" in raw.lstrip("(").lstrip()[1:]:
        raise _error("Dạ, số điện thoại chỉ gồm chữ số.")
    digits = re.sub(r"\D", "", raw)
    if raw.lstrip("( ").startswith("+"):
        if not digits.startswith("84"):
            raise _error("Dạ, em chỉ nhận số di động Việt Nam (+84).")
        # "+84 0912 345 678": the trunk 0 kept after the country code.
        digits = digits[2:] if digits[2:3] == "0" else "0" + digits[2:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    elif not digits.startswith("0") and len(digits) == 9:
        digits = "0" + digits
    if digits.startswith("02"):
        raise _error("Dạ, đây là số máy bàn, em cần số di động để cán bộ liên hệ.")
    if len(digits) != 10:
        raise _error(f"Dạ, số này có {len(digits)} chữ số, số di động có 10 chữ số.")
    if digits[:3] not in _MOBILE_PREFIXES:
        raise _error(f"Dạ, đầu số {digits[:3]} không phải đầu số di động Việt Nam.")
    return digits


def mask_phone(phone: str) -> str:
    """For logs and officer lists where the full number is not needed: "091****678"."""
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}{'*' * (len(digits) - 6)}{digits[-3:]}"
