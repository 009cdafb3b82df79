"""Vietnamese free-text input parsers: money, counts, dates, mobile numbers, tax codes."""

from knowledge.parsing.counts import parse_count
from knowledge.parsing.dates import parse_date
from knowledge.parsing.errors import ParseError
from knowledge.parsing.money import parse_money
from knowledge.parsing.phone import mask_phone, parse_phone
from knowledge.parsing.tax_code import parse_tax_code

__all__ = [
    "ParseError",
    "mask_phone",
    "parse_count",
    "parse_date",
    "parse_money",
    "parse_phone",
    "parse_tax_code",
]
