"""Free text to eligibility answers: accents optional, longest phrase first, typos repaired."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from knowledge import load_knowledge
from knowledge.eligibility.reading import (
    ENTERPRISE,
    AnswerReader,
    fold,
    number_in,
    parse_number,
    yes_no,
)

RULES = load_knowledge().eligibility
assert RULES is not None
READER = AnswerReader(RULES)
FOOD = "che_bien_nong_lam_thuy_san"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "hộ kinh doanh làm bún ở xã",
            {"entity_type": "ho_kinh_doanh", "site_area": "xa", "sector": FOOD},
        ),
        (
            "ho kinh doanh lam bun o xa",
            {"entity_type": "ho_kinh_doanh", "site_area": "xa", "sector": FOOD},
        ),
        ("HỘ KINH DOAN làm nước mắm", {"entity_type": "ho_kinh_doanh", "sector": FOOD}),
        # "hợp tác xã" is an entity type; its "xã" is not the site.
        ("hợp tác xã dệt thổ cẩm", {"entity_type": "htx", "sector": "tieu_thu_cong_nghiep"}),
        (
            "công ty 150 công nhân, doanh thu 80 tỷ, trụ sở ở thành phố nhưng xưởng ở xã",
            {
                "entity_type": ENTERPRISE,
                "employees": 150,
                "revenue_billion": 80,
                "site_area": "xa",
            },
        ),
        (
            "chưa đăng ký, làm gạch nung lò thủ công",
            {"entity_type": "chua_dang_ky", "sector": "gach_nung_thu_cong"},
        ),
        (
            "làm gạch không nung ở thị xã",
            {"sector": "hoa_chat_vat_lieu_xay_dung", "site_area": "phuong_do_thi_loai_2_3"},
        ),
        ("kinh doanh tạp hóa", {"sector": "thuong_mai_dich_vu"}),
        ("chưa áp dụng sản xuất sạch hơn", {"cleaner_production": False}),
        (
            "doanh nghiệp lớn áp dụng sản xuất sạch hơn ở nội thành",
            {
                "entity_type": "doanh_nghiep_lon",
                "cleaner_production": True,
                "site_area": "phuong_noi_thanh",
            },
        ),
        (
            "xưởng cơ khí ở huyện miền núi",
            {"sector": "co_khi_dien_tu_cnht", "site_area": "xa", "difficult_area": True},
        ),
        ("vốn 500 triệu", {"capital_billion": 0.5}),
        ("thành phố", {}),
        ("🙂🙂🙂", {}),
        ("", {}),
    ],
)
def test_read(text: str, expected: dict) -> None:
    assert READER.read(text) == expected


@pytest.mark.parametrize(
    ("text", "key", "value"),
    [
        ("Hộ kinh doanh", "entity_type", "ho_kinh_doanh"),
        ("hop tac xa", "entity_type", "htx"),
        ("công ty", "entity_type", ENTERPRISE),
        ("phuong noi thanh", "site_area", "phuong_noi_thanh"),
        ("bún", "sector", FOOD),
        ("chế biến nông lâm thủy sản thực phẩm", "sector", FOOD),
        ("xyz", "sector", None),
    ],
)
def test_match_option(text: str, key: str, value: str | None) -> None:
    assert READER.match_option(text, key) == value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("có", True),
        ("Có ạ", True),
        ("dung roi", True),
        ("không", False),
        ("chưa", False),
        ("ko", False),
        ("bún", None),
    ],
)
def test_yes_no(text: str, expected: bool | None) -> None:
    assert yes_no(text) is expected


@pytest.mark.parametrize(
    ("text", "money", "expected"),
    [
        ("150", False, 150),
        ("khoảng 1.500 người", False, 1500),
        ("1,5 tỷ", True, 1.5),
        ("500 triệu", True, 0.5),
        ("không biết", True, None),
    ],
)
def test_number_in(text: str, money: bool, expected: float | None) -> None:
    assert number_in(text, money=money) == expected


def test_parse_number_separators() -> None:
    assert parse_number("1.500.000") == 1_500_000
    assert parse_number("2,75") == 2.75


@given(st.text(max_size=300))
def test_fold_is_idempotent_ascii_and_reading_never_raises(text: str) -> None:
    folded = fold(text)
    assert fold(folded) == folded
    assert folded.isascii()
    READER.read(text)
    yes_no(text)
    number_in(text, money=True)
