"""The one parser of whole numbers that come from users: button numbers, payload ids, ids in
officer commands, page numbers.

Telegram and Zalo deliver any Unicode: "²", "١٢", "１２" all satisfy `str.isdigit()` yet
`int()` rejects some of them and accepts others, and a 40-digit string overflows the
database's integer columns (PostgreSQL BIGINT is int64, INTEGER int32). One strict rule
instead: NFKC-normalise (full-width and superscript digits become ASCII), trim, drop one
leading "#", then only ASCII 0-9, at most `max_value`'s number of digits, value ≤ max_value.
"""

from __future__ import annotations

import unicodedata

# Ids are compared with INTEGER columns on some tables: stay inside int32 everywhere.
MAX_ID = 2**31 - 1
_ASCII_DIGITS = frozenset("0123456789")


def parse_number(raw: str | None, *, max_value: int = MAX_ID) -> int | None:
    """A whole number 0…max_value from `raw`, or None when it is anything else.

    "12", " #12 ", "１２" and "¹²" give 12; "", "-1", "1.5", "١٢", "9"*40 give None.
    Never raises.
    """
    if not raw:
        return None
    limit = len(str(max_value))
    if len(raw) > limit * 4 + 8:  # far too long to be a number: no normalisation work
        return None
    text = unicodedata.normalize("NFKC", raw).strip().removeprefix("#")
    if not text or len(text) > limit or not set(text) <= _ASCII_DIGITS:
        return None
    value = int(text)
    return value if value <= max_value else None
