"""Vietnamese values as owners type them (issue 15): one table per kind, with neighbours."""

import datetime as dt

import pytest

from knowledge.eligibility.reading import number_in
from knowledge.forms.engine import means_unknown
from knowledge.parsing import ParseError, parse_date, parse_money, parse_phone
from knowledge.parsing.counts import parse_count

TODAY = dt.date(2026, 11, 21)  # a Saturday

PHONES = [
    ("+84 (0) 912 345 678", "0912345678"),
    ("+84(0)912345678", "0912345678"),
    ("84 (0)912.345.678", "0912345678"),
    ("+84 0912 345 678", "0912345678"),
    ("0084 912 345 678", "0912345678"),
    ("０９１２ ３４５ ６７８", "0912345678"),
    ("0912-345-678", "0912345678"),
    ("0912.345.678", "0912345678"),
    ("(+84) 912 345 678", "0912345678"),
    ("84 912 345 678", "0912345678"),
    ("912 345 678", "0912345678"),
]
PHONES_BAD = ["+84 (0) 24 1234 567", "+1 650 253 0000", "0912 345 67a", "+84 (0) 912", "091"]


@pytest.mark.parametrize(("text", "expected"), PHONES)
def test_phone_forms_normalise_to_one(text: str, expected: str) -> None:
    assert parse_phone(text) == expected


@pytest.mark.parametrize("text", PHONES_BAD)
def test_phone_not_vietnamese_mobile_is_refused_with_example(text: str) -> None:
    with pytest.raises(ParseError, match="ví dụ"):
        parse_phone(text)


DATES = [
    ("mùng 5 tháng 3 năm 2027", dt.date(2027, 3, 5), dt.date(2027, 3, 5)),
    ("mồng 5 tháng 3 năm 2027", dt.date(2027, 3, 5), dt.date(2027, 3, 5)),
    ("ngày mùng 5 tháng 3 năm 2027", dt.date(2027, 3, 5), dt.date(2027, 3, 5)),
    ("mung 5 thang 3", dt.date(2027, 3, 5), dt.date(2027, 3, 5)),
    ("mùng mười tháng hai năm 2027", dt.date(2027, 2, 10), dt.date(2027, 2, 10)),
    ("tháng chín", dt.date(2027, 9, 1), dt.date(2027, 9, 30)),
    ("tháng chín năm 2027", dt.date(2027, 9, 1), dt.date(2027, 9, 30)),
    ("tháng mười hai", dt.date(2026, 12, 1), dt.date(2026, 12, 31)),
    ("tháng mười một", dt.date(2026, 11, 1), dt.date(2026, 11, 30)),
    ("tháng năm 2027", dt.date(2027, 5, 1), dt.date(2027, 5, 31)),
    ("tháng mười năm 2027", dt.date(2027, 10, 1), dt.date(2027, 10, 31)),
    ("tháng hai năm 2027", dt.date(2027, 2, 1), dt.date(2027, 2, 28)),
    ("tháng sáu", dt.date(2027, 6, 1), dt.date(2027, 6, 30)),
    ("thg 9/2027", dt.date(2027, 9, 1), dt.date(2027, 9, 30)),
    ("thg 9 2027", dt.date(2027, 9, 1), dt.date(2027, 9, 30)),
    ("năm 2027", dt.date(2027, 1, 1), dt.date(2027, 12, 31)),
    ("tháng sau", dt.date(2026, 12, 1), dt.date(2026, 12, 31)),
    ("thang sau", dt.date(2026, 12, 1), dt.date(2026, 12, 31)),
    ("tháng này", dt.date(2026, 11, 1), dt.date(2026, 11, 30)),
    ("năm sau", dt.date(2027, 1, 1), dt.date(2027, 12, 31)),
    ("năm tới", dt.date(2027, 1, 1), dt.date(2027, 12, 31)),
    ("tuần sau", dt.date(2026, 11, 23), dt.date(2026, 11, 29)),
    ("tuần tới", dt.date(2026, 11, 23), dt.date(2026, 11, 29)),
    ("cuối tháng 3", dt.date(2027, 3, 31), dt.date(2027, 3, 31)),
    ("đầu tháng 3", dt.date(2027, 3, 1), dt.date(2027, 3, 1)),
    ("giữa tháng 6", dt.date(2027, 6, 15), dt.date(2027, 6, 15)),
    ("đầu năm sau", dt.date(2027, 1, 1), dt.date(2027, 1, 1)),
    ("cuối năm", dt.date(2026, 12, 31), dt.date(2026, 12, 31)),
    ("cuối tháng sau", dt.date(2026, 12, 31), dt.date(2026, 12, 31)),
    ("cuối quý 2 năm 2027", dt.date(2027, 6, 30), dt.date(2027, 6, 30)),
]
DATES_BAD = [
    "tháng giêng", "tháng chạp năm 2027", "mùng 5 tết", "tuần trước nữa", "cuối tuần sau nữa",
]  # fmt: skip


@pytest.mark.parametrize(("text", "start", "end"), DATES)
def test_spoken_and_relative_dates_read_against_today(
    text: str, start: dt.date, end: dt.date
) -> None:
    assert parse_date(text, today=TODAY) == start
    assert parse_date(text, today=TODAY, end=True) == end


@pytest.mark.parametrize("text", DATES_BAD)
def test_lunar_and_unknown_dates_are_asked_back(text: str) -> None:
    with pytest.raises(ParseError, match="ví dụ"):
        parse_date(text, today=TODAY)


MONEY = [
    ("3 củ", 3_000_000),
    ("500 củ", 500_000_000),
    ("2 tỏi", 2_000_000_000),
    ("1 tỏi 2", 1_200_000_000),
    ("1tỷ2", 1_200_000_000),
    ("1 tỷ 2", 1_200_000_000),
    ("1 tỷ rưỡi", 1_500_000_000),
    ("khoảng năm trăm triệu", 500_000_000),
    ("tầm năm trăm triệu", 500_000_000),
    ("một tỷ hai", 1_200_000_000),
    ("hai trăm rưỡi triệu", 250_000_000),
    ("mười lăm triệu", 15_000_000),
    ("hai mươi mốt triệu", 21_000_000),
    ("một trăm linh năm triệu", 105_000_000),
    ("１５ triệu", 15_000_000),
    ("tầm 500 triệu", 500_000_000),
]
MONEY_ASKED = [
    ("300-400tr", "khoảng"),
    ("300 - 400 triệu", "khoảng"),
    ("300 đến 400 triệu", "khoảng"),
    ("300 tới 400 triệu", "khoảng"),
    ("1 tỷ hoặc 2 tỷ", "khoảng"),
    ("5 lít", "không dám đoán"),
    ("3 xị", "không dám đoán"),
    ("hai trăm rưỡi", "thiếu đơn vị"),
    ("-5 triệu", "âm"),
]


@pytest.mark.parametrize(("text", "expected"), MONEY)
def test_money_slang_and_spoken_numbers(text: str, expected: int) -> None:
    assert parse_money(text) == expected


@pytest.mark.parametrize(("text", "reason"), MONEY_ASKED)
def test_money_ranges_and_unsure_slang_are_asked_never_changed(text: str, reason: str) -> None:
    with pytest.raises(ParseError, match=reason) as caught:
        parse_money(text)
    assert "ví dụ" in caught.value.message


COUNTS = [
    ("35", 35),
    ("35 cn", 35),
    ("35 công nhân", 35),
    ("khoảng 20 người", 20),
    ("tầm 15 lao động", 15),
    ("hai chục người", 20),
    ("hai mươi người", 20),
    ("mười hai", 12),
    ("5 trăm người", 500),
    ("2 nghìn sản phẩm", 2000),
    ("1.200", 1200),
    ("３５ người", 35),
    ("hơn 20 người", 20),
    ("0", 0),
]
COUNTS_BAD = [
    ("20 tỷ", "số tiền"),
    ("20 triệu", "số tiền"),
    ("20tr", "số tiền"),
    ("20 củ", "số tiền"),
    ("2 nghìn đồng", "số tiền"),
    ("20-30 người", "khoảng"),
    ("20 đến 30 người", "khoảng"),
    ("1,5", "số nguyên"),
    ("-3", "âm"),
    ("abc", "con số"),
]


@pytest.mark.parametrize(("text", "expected"), COUNTS)
def test_counts_with_units(text: str, expected: int) -> None:
    assert parse_count(text) == expected


@pytest.mark.parametrize(("text", "reason"), COUNTS_BAD)
def test_money_or_ranges_are_never_counts(text: str, reason: str) -> None:
    with pytest.raises(ParseError, match=reason):
        parse_count(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("35 cn", 35), ("khoảng 20 người", 20), ("hai chục người", 20), ("20 tỷ", None),
     ("20 triệu", None), ("abc", None)],
)  # fmt: skip
def test_eligibility_workforce_step_reads_counts_the_same_way(
    text: str, expected: float | None
) -> None:
    assert number_in(text, money=False) == expected


SKIP = [
    "ko có", "Không có", "chưa có", "chua co", "không biết", "không rõ", "chưa biết",
    "ko bit", "k biết ạ", "chưa có ạ", "không biết nha", "Không rõ.", "bỏ qua",
]  # fmt: skip
NOT_SKIP = ["không", "có", "3", "không có máy", "chưa có báo giá nhưng sắp có", "ko"]


@pytest.mark.parametrize("text", SKIP)
def test_skip_words_mean_unknown(text: str) -> None:
    assert means_unknown(text)


@pytest.mark.parametrize("text", NOT_SKIP)
def test_answers_are_not_skip_words(text: str) -> None:
    assert not means_unknown(text)


async def test_intake_transcript_reads_vietnamese_values_and_quotes_errors(app, chat):
    """Phone with "(0)", "ko có" skips an optional count, a range is asked back quoting the
    owner's words with diacritics, "năm trăm củ" is taken, "20 tỷ" is not 20 workers."""
    from sqlalchemy import select

    from bot.db.models_intake import Submission
    from tests.intake_helpers import ANSWERS, answer_all, send, start_with_consent

    await start_with_consent(chat)
    await chat.say("Nguyễn Văn An")
    await chat.say("đt: 0912")
    assert "“đt: 0912”" in chat.text
    assert "ví dụ" in chat.text
    await chat.say("+84 (0) 912-345-678")
    assert "tên cơ sở" in chat.text
    steps = [s for s, _ in ANSWERS]
    for _, entry in ANSWERS[2 : steps.index("supplier_quotes")]:
        await send(chat, entry)
    await chat.say("ko có ạ")
    await chat.say("khoảng 300-400tr")
    assert "“khoảng 300-400tr”" in chat.text
    assert "một con số" in chat.text
    assert "ví dụ" in chat.text
    await chat.say("năm trăm củ")
    for _, entry in ANSWERS[steps.index("support_requested") : steps.index("workers")]:
        await send(chat, entry)
    await chat.say("20 tỷ")
    assert "“20 tỷ”" in chat.text
    assert "số tiền" in chat.text
    assert "ví dụ" in chat.text
    await chat.say("khoảng 20 công nhân")
    await answer_all(chat, ANSWERS[steps.index("wage") :])
    await chat.press("intake:submit")
    async with app.db.transaction() as session:
        sub = (await session.execute(select(Submission))).scalar_one()
    assert sub.answers["phone"] == "0912345678"
    assert "supplier_quotes" not in sub.answers
    assert sub.answers["total_cost"] == 500_000_000
    assert sub.answers["workers"] == 20
