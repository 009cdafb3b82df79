"""The parser table: Vietnamese money, dates, mobile numbers and tax codes, valid and invalid."""

import contextlib
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from knowledge.parsing import (
    ParseError,
    mask_phone,
    parse_date,
    parse_money,
    parse_phone,
    parse_tax_code,
)

TODAY = dt.date(2026, 11, 21)

MONEY = [
    ("1,5 tỷ", 1_500_000_000),
    ("1.5 tỷ", 1_500_000_000),
    ("500tr", 500_000_000),
    ("500 triệu", 500_000_000),
    ("500 TRIỆU ĐỒNG", 500_000_000),
    ("2.000.000.000", 2_000_000_000),
    ("2,000,000,000 VND", 2_000_000_000),
    ("2 ty rưỡi", 2_500_000_000),
    ("2 tỷ rưỡi", 2_500_000_000),
    ("1 triệu rưỡi", 1_500_000),
    ("2 tỷ 5", 2_500_000_000),
    ("2 tỷ 300 triệu", 2_300_000_000),
    ("5 trăm triệu", 500_000_000),
    ("150.000.000đ", 150_000_000),
    ("150000000", 150_000_000),
    ("300k", 300_000),
    ("300 nghìn", 300_000),
    ("1.500 triệu", 1_500_000_000),
    ("khoảng 800 triệu", 800_000_000),
    ("1.234.567,5", 1_234_568),
    ("0,5 tỷ", 500_000_000),
]
MONEY_BAD = [
    "",
    "abc",
    "500",
    "-5 triệu",
    "0 đồng",
    "triệu",
    "5 triệu 3 tỷ",
    "1,5,5 tỷ",
    "20000 tỷ",
    "hai trăm rưỡi",
    "300-400tr",
    "5 lít",
    "1.5",
    "🙂",
    "2 tỷ 5000",
    "10000000000000000000000000000",
    "99999999999999999999999999999999 tỷ",
]

DATES = [
    ("01/03/2027", dt.date(2027, 3, 1)),
    ("1-3-2027", dt.date(2027, 3, 1)),
    ("1.3.2027", dt.date(2027, 3, 1)),
    ("1/3/27", dt.date(2027, 3, 1)),
    ("2027-03-01", dt.date(2027, 3, 1)),
    ("ngày 5 tháng 7 năm 2027", dt.date(2027, 7, 5)),
    ("15/6", dt.date(2027, 6, 15)),
    ("21/11", dt.date(2026, 11, 21)),
    ("25/12", dt.date(2026, 12, 25)),
    ("tháng 3/2027", dt.date(2027, 3, 1)),
    ("thang 3 nam 2027", dt.date(2027, 3, 1)),
    ("03/2027", dt.date(2027, 3, 1)),
    ("tháng 12", dt.date(2026, 12, 1)),
    ("quý 2 năm 2027", dt.date(2027, 4, 1)),
    ("quý II/2027", dt.date(2027, 4, 1)),
    ("Quy 4 2026", dt.date(2026, 10, 1)),
    ("29/02/2028", dt.date(2028, 2, 29)),
]
DATES_END = [
    ("tháng 2/2027", dt.date(2027, 2, 28)),
    ("quý 2 năm 2027", dt.date(2027, 6, 30)),
    ("31/12/2027", dt.date(2027, 12, 31)),
]
DATES_BAD = [
    "",
    "mai",
    "31/02/2027",
    "32/1/2027",
    "tháng 13/2027",
    "quý 5 năm 2027",
    "1/2/3/4",
    "29/02/2027",
    "12/3/1800",
    "ngày mùng một",
]

PHONES = [
    ("0912345678", "0912345678"),
    ("0912 345 678", "0912345678"),
    ("0912.345.678", "0912345678"),
    ("+84 912 345 678", "0912345678"),
    ("+84912345678", "0912345678"),
    ("84912345678", "0912345678"),
    ("(+84) 386-123-456", "0386123456"),
    ("0868 123 456", "0868123456"),
]
PHONES_BAD = [
    "",
    "091234567",
    "09123456789",
    "0241234567",
    "0112345678",
    "+1 650 253 0000",
    "abc",
    "0912-345-67a",
]

TAX = [("0101234567", "0101234567"), ("0101234567-001", "0101234567-001")]
TAX += [("0101234567001", "0101234567-001"), ("0101 234 567", "0101234567")]
TAX_BAD = ["", "12345", "01012345678", "MST0101234567", "010123456700"]


@pytest.mark.parametrize(("text", "expected"), MONEY)
def test_money(text, expected):
    assert parse_money(text) == expected


@pytest.mark.parametrize("text", MONEY_BAD)
def test_money_rejected_with_example(text):
    with pytest.raises(ParseError) as info:
        parse_money(text)
    assert "ví dụ" in info.value.message


@pytest.mark.parametrize(("text", "expected"), DATES)
def test_dates(text, expected):
    assert parse_date(text, today=TODAY) == expected


@pytest.mark.parametrize(("text", "expected"), DATES_END)
def test_end_dates_take_the_last_day(text, expected):
    assert parse_date(text, today=TODAY, end=True) == expected


@pytest.mark.parametrize("text", DATES_BAD)
def test_dates_rejected_with_example(text):
    with pytest.raises(ParseError) as info:
        parse_date(text, today=TODAY)
    assert "ví dụ" in info.value.message


@pytest.mark.parametrize(("text", "expected"), PHONES)
def test_phones(text, expected):
    assert parse_phone(text) == expected


@pytest.mark.parametrize("text", PHONES_BAD)
def test_phones_rejected(text):
    with pytest.raises(ParseError) as info:
        parse_phone(text)
    assert "ví dụ" in info.value.message


@pytest.mark.parametrize(("text", "expected"), TAX)
def test_tax_codes(text, expected):
    assert parse_tax_code(text) == expected


@pytest.mark.parametrize("text", TAX_BAD)
def test_tax_codes_rejected(text):
    with pytest.raises(ParseError):
        parse_tax_code(text)


def test_table_is_large_enough():
    sizes = [MONEY, MONEY_BAD, DATES, DATES_END, DATES_BAD, PHONES, PHONES_BAD, TAX, TAX_BAD]
    assert sum(len(t) for t in sizes) >= 40


def test_mask_phone_hides_the_middle():
    assert mask_phone("0912345678") == "091****678"
    assert "2345" not in mask_phone("0912345678")


def test_parse_error_is_a_value_error():
    assert issubclass(ParseError, ValueError)


@given(st.text(max_size=60))
def test_parsers_raise_only_parse_error(text):
    for parse in (parse_money, parse_phone, parse_tax_code):
        with contextlib.suppress(ParseError):
            parse(text)
    for end in (False, True):
        with contextlib.suppress(ParseError):
            parse_date(text, today=TODAY, end=end)


@given(st.from_regex(r"[0-9 .,/\-]{1,20}(ty|trieu|tr|k|quy|thang)?[0-9 ]{0,6}", fullmatch=True))
def test_parsers_on_number_like_text(text):
    for parse in (parse_money, parse_phone):
        with contextlib.suppress(ParseError):
            parse(text)
    with contextlib.suppress(ParseError):
        parse_date(text, today=TODAY)
