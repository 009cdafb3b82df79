"""Vietnamese display of money and dates: "1.500.000 đồng", "1,5 tỷ đồng", "05/03/2027"."""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

_BILLION = 1_000_000_000
_MILLION = 1_000_000


def group_digits(amount: int) -> str:
    """12345678 → "12.345.678" (Vietnamese groups thousands with dots)."""
    return f"{amount:,}".replace(",", ".")


def format_money(amount: int) -> str:
    """Exact amount in đồng: 1500000 → "1.500.000 đồng"."""
    return f"{group_digits(amount)} đồng"


def _decimal_vi(value: Decimal) -> str:
    text = f"{value.quantize(Decimal('0.01'), ROUND_HALF_UP):f}".rstrip("0").rstrip(".")
    whole, _, frac = text.partition(".")
    whole = group_digits(int(whole))
    return f"{whole},{frac}" if frac else whole


def format_money_short(amount: int) -> str:
    """Rounded for reading: 1500000000 → "1,5 tỷ đồng", 300000000 → "300 triệu đồng"."""
    if abs(amount) >= _BILLION:
        return f"{_decimal_vi(Decimal(amount) / _BILLION)} tỷ đồng"
    if abs(amount) >= _MILLION:
        return f"{_decimal_vi(Decimal(amount) / _MILLION)} triệu đồng"
    return format_money(amount)


def format_date(value: date | datetime) -> str:
    """dd/mm/yyyy; a datetime must already be in local time."""
    return value.strftime("%d/%m/%Y")


def format_datetime(value: datetime) -> str:
    """HH:MM dd/mm/yyyy; `value` must already be in local time."""
    return value.strftime("%H:%M %d/%m/%Y")


# Quoted input is cut here so a pasted story does not fill an error message.
_QUOTE_MAX = 60


def quote_typed(text: str) -> str:
    """What a user typed, for quoting back in an error: spaces collapsed, diacritics kept,
    cut to 60 characters with "…"."""
    typed = " ".join(text.split())
    if len(typed) > _QUOTE_MAX:
        typed = typed[: _QUOTE_MAX - 1].rstrip() + "…"
    return typed
