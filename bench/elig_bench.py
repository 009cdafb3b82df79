"""Eligibility speed: evaluate() and free-text reading per call, against parse_answers() alone."""

from __future__ import annotations

import time

from knowledge import load_knowledge
from knowledge.eligibility import evaluate, parse_answers
from knowledge.eligibility.reading import AnswerReader

ANSWERS = [
    {"entity_type": "ho_kinh_doanh", "site_area": "xa", "sector": "che_bien_nong_lam_thuy_san"},
    {
        "entity_type": "dnnvv",
        "employees": 200,
        "revenue_billion": 250,
        "capital_billion": 100,
        "site_area": "xa",
        "sector": "co_khi_dien_tu_cnht",
        "difficult_area": True,
    },
    {
        "entity_type": "doanh_nghiep_lon",
        "site_area": "phuong_noi_thanh",
        "sector": "co_khi_dien_tu_cnht",
        "cleaner_production": True,
    },
    {"entity_type": "chua_dang_ky", "sector": "gach_nung_thu_cong"},
    {},
]
TEXTS = [
    "hộ kinh doanh làm bún ở xã",
    "cong ty 150 cong nhan, doanh thu 80 ty, tru so o thanh pho nhung xuong o xa",
    "hợp tác xã dệt thổ cẩm ở huyện miền núi, chưa áp dụng sản xuất sạch hơn",
]


def per_call_us(fn, items, rounds: int = 2000) -> float:
    start = time.perf_counter()
    for _ in range(rounds):
        for item in items:
            fn(item)
    return (time.perf_counter() - start) / (rounds * len(items)) * 1e6


def main() -> None:
    t0 = time.perf_counter()
    kb = load_knowledge()
    load_ms = (time.perf_counter() - t0) * 1000
    rules = kb.eligibility
    reader = AnswerReader(rules)
    parsed = [parse_answers(a) for a in ANSWERS]
    base = per_call_us(parse_answers, ANSWERS)
    engine = per_call_us(lambda a: evaluate(rules, a), parsed)
    reading = per_call_us(reader.read, TEXTS, rounds=500)
    print(f"load_knowledge (incl. rules): {load_ms:.1f} ms")
    print(f"baseline parse_answers: {base:.1f} µs/call")
    print(f"evaluate: {engine:.1f} µs/call ({engine / base:.1f}× baseline)")
    print(f"read free text: {reading:.1f} µs/call ({reading / base:.1f}× baseline)")


if __name__ == "__main__":
    main()
