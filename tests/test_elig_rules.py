"""Table-driven tests of the eligibility engine: every rule, each edge, and the rules loader."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge import KnowledgeError, load_knowledge
from knowledge.eligibility import evaluate, load_rules, parse_answers
from knowledge.eligibility.answers import SUPPORT_TOPICS, AnswersError

RULES_PATH = Path(__file__).resolve().parent.parent / "knowledge" / "rules" / "eligibility.yaml"
RULES = load_rules(RULES_PATH)

HKD = {"entity_type": "ho_kinh_doanh", "site_area": "xa", "sector": "che_bien_nong_lam_thuy_san"}
SME = {"entity_type": "dnnvv", "site_area": "xa", "sector": "co_khi_dien_tu_cnht"}
LARGE = {"entity_type": "doanh_nghiep_lon", "site_area": "xa", "sector": "co_khi_dien_tu_cnht"}
ND45_A = "NĐ 45/2012/NĐ-CP Đ1 k2 a"
ND80 = "NĐ 80/2021/NĐ-CP Đ5 k1–3"
CLEANER = "NĐ 45/2012/NĐ-CP Đ1 k2 b; TT 46/2012/TT-BCT Đ3 k2"


def run(answers: dict, **kw: object) -> dict:
    return evaluate(RULES, parse_answers(answers), **kw).to_dict()


def sources(items: list[dict]) -> set[str]:
    return {i["source"] for i in items}


# (id, answers, verdict, missing, sources that must be among the reasons)
CASES = [
    ("nothing yet", {}, "need_more_info", ["entity_type", "site_area", "sector"], set()),
    ("household, commune, food", HKD, "eligible", [], {ND45_A, "NĐ 45/2012/NĐ-CP Đ5 k1"}),
    ("cooperative", {**HKD, "entity_type": "htx"}, "eligible", [], {ND45_A}),
    ("cooperative group", {**HKD, "entity_type": "to_hop_tac"}, "eligible", [], {ND45_A}),
    ("site missing", {**HKD, "site_area": None}, "need_more_info", ["site_area"], set()),
    ("sector missing", {**HKD, "sector": None}, "need_more_info", ["sector"], set()),
    # SME thresholds of NĐ 80/2021 for industry: exactly at the limit is still an SME.
    (
        "SME exactly at every limit",
        {**SME, "employees": 200, "revenue_billion": 200, "capital_billion": 100},
        "eligible",
        [],
        {ND80},
    ),
    (
        "201 staff is large",
        {**SME, "employees": 201, "revenue_billion": 10, "cleaner_production": False},
        "not_eligible",
        [],
        {ND80, ND45_A, CLEANER},
    ),
    (
        "revenue over, capital at limit: one financial criterion is enough",
        {**SME, "employees": 150, "revenue_billion": 250, "capital_billion": 100},
        "eligible",
        [],
        {ND80},
    ),
    (
        "capital over, revenue at limit: one financial criterion is enough",
        {**SME, "employees": 150, "revenue_billion": 200, "capital_billion": 500},
        "eligible",
        [],
        {ND80},
    ),
    (
        "both financial criteria over",
        {**SME, "employees": 150, "revenue_billion": 200.5, "capital_billion": 100.5},
        "need_more_info",
        ["cleaner_production"],
        {ND80},
    ),
    (
        "revenue over, capital unknown",
        {**SME, "employees": 150, "revenue_billion": 250},
        "need_more_info",
        ["capital_billion"],
        set(),
    ),
    (
        "staff unknown, revenue small",
        {**SME, "revenue_billion": 10},
        "need_more_info",
        ["employees"],
        set(),
    ),
    (
        "declared SME without figures (self-declaration)",
        SME,
        "eligible",
        [],
        {"NĐ 80/2021/NĐ-CP Đ10"},
    ),
    (
        "declared large but figures say SME",
        {**LARGE, "employees": 40, "capital_billion": 5},
        "eligible",
        [],
        {ND80},
    ),
    (
        "large firm, cleaner production unknown",
        LARGE,
        "need_more_info",
        ["cleaner_production"],
        set(),
    ),
    (
        "large firm without cleaner production",
        {**LARGE, "cleaner_production": False},
        "not_eligible",
        [],
        {ND45_A, CLEANER},
    ),
    (
        "large firm applying cleaner production, in an urban ward",
        {**LARGE, "site_area": "phuong_noi_thanh", "cleaner_production": True, "employees": 5000},
        "eligible",
        [],
        {CLEANER},
    ),
    # The production site decides, not the head office (TT 46/2012 Đ3 k1 d).
    (
        "head office in a city, site in a commune",
        {**SME, "site_area": "xa"},
        "eligible",
        [],
        {"TT 46/2012/TT-BCT Đ3 k1 d"},
    ),
    (
        "ward of a class-1 city, commune less than 5 years ago",
        {**HKD, "site_area": "phuong_tu_xa_duoi_5_nam"},
        "eligible",
        [],
        {"TT 46/2012/TT-BCT Đ3 k1 đ"},
    ),
    (
        "ward of a class-2/3 city",
        {**HKD, "site_area": "phuong_do_thi_loai_2_3"},
        "eligible",
        [],
        {ND45_A},
    ),
    (
        "urban ward, cleaner production unknown",
        {**HKD, "site_area": "phuong_noi_thanh"},
        "need_more_info",
        ["cleaner_production"],
        set(),
    ),
    (
        "urban ward, no cleaner production",
        {**HKD, "site_area": "phuong_noi_thanh", "cleaner_production": False},
        "not_eligible",
        [],
        {ND45_A, CLEANER},
    ),
    (
        "urban ward with cleaner production",
        {**HKD, "site_area": "phuong_noi_thanh", "cleaner_production": True},
        "eligible",
        [],
        {CLEANER},
    ),
    (
        "only the urban ward known",
        {"site_area": "phuong_noi_thanh"},
        "need_more_info",
        ["entity_type", "sector", "cleaner_production"],
        set(),
    ),
    # Exclusions hold on both routes.
    (
        "unregistered producer",
        {**HKD, "entity_type": "chua_dang_ky"},
        "not_eligible",
        [],
        {ND45_A},
    ),
    (
        "unregistered even with cleaner production",
        {**HKD, "entity_type": "chua_dang_ky", "cleaner_production": True},
        "not_eligible",
        [],
        {ND45_A},
    ),
    (
        "unregistered, nothing else known",
        {"entity_type": "chua_dang_ky"},
        "not_eligible",
        [],
        {ND45_A},
    ),
    (
        "manual clay-brick kiln",
        {**HKD, "entity_type": "htx", "sector": "gach_nung_thu_cong"},
        "not_eligible",
        [],
        {"TT 46/2012/TT-BCT Đ5 k1"},
    ),
    (
        "clay-brick kiln with cleaner production",
        {**HKD, "sector": "gach_nung_thu_cong", "cleaner_production": True},
        "not_eligible",
        [],
        {"TT 46/2012/TT-BCT Đ5 k1"},
    ),
    (
        "non-fired bricks are building materials",
        {**HKD, "sector": "hoa_chat_vat_lieu_xay_dung"},
        "eligible",
        [],
        {"NĐ 45/2012/NĐ-CP Đ5 k1"},
    ),
    (
        "pure trade and services",
        {**HKD, "sector": "thuong_mai_dich_vu"},
        "not_eligible",
        [],
        {"NĐ 45/2012/NĐ-CP Đ1 k2 a; Đ5 k1"},
    ),
    (
        "mining, area unknown",
        {**HKD, "sector": "khai_khoang_vung_kho_khan"},
        "need_more_info",
        ["difficult_area"],
        set(),
    ),
    (
        "mining outside a difficult area",
        {**HKD, "sector": "khai_khoang_vung_kho_khan", "difficult_area": False},
        "not_eligible",
        [],
        {"NĐ 45/2012/NĐ-CP Đ5 k1 e"},
    ),
    (
        "mining in a difficult area",
        {**HKD, "sector": "khai_khoang_vung_kho_khan", "difficult_area": True},
        "eligible",
        [],
        {"NĐ 45/2012/NĐ-CP Đ5 k1 e"},
    ),
    (
        "other state funding for the same content",
        {**HKD, "other_state_funding_same_content": True},
        "not_eligible",
        [],
        {"TTLT 26/2014/TTLT-BTC-BCT Đ7"},
    ),
    (
        "no other state funding",
        {**HKD, "other_state_funding_same_content": False},
        "eligible",
        [],
        {"TTLT 26/2014/TTLT-BTC-BCT Đ7"},
    ),
]


@pytest.mark.parametrize(
    ("answers", "verdict", "missing", "must_cite"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_rule_table(answers: dict, verdict: str, missing: list, must_cite: set) -> None:
    result = run(answers)
    assert result["verdict"] == verdict, result["reasons"]
    assert result["missing"] == missing
    assert must_cite <= sources(result["reasons"]), sources(result["reasons"])
    for reason in result["reasons"] + result["priority"] + result["changes"]:
        assert reason["text"].strip()
        assert reason["source"].strip()
        assert "{" not in reason["text"], reason["text"]
    assert set(result["supports"]) <= set(SUPPORT_TOPICS)
    if verdict == "eligible":
        assert result["supports"]
    else:
        assert result["supports"] == []
        assert result["priority"] == []


def test_output_has_the_spec_keys_and_changes() -> None:
    result = run(HKD)
    assert {"verdict", "reasons", "missing", "supports", "priority", "changes"} <= set(result)
    assert "NĐ 235/2025/NĐ-CP" in result["note"]


@pytest.mark.parametrize(
    ("answers", "change_source", "change_words"),
    [
        ({**HKD, "entity_type": "chua_dang_ky"}, ND45_A, "Đăng ký hộ kinh doanh"),
        ({**HKD, "site_area": "phuong_noi_thanh", "cleaner_production": False}, ND45_A, "xã"),
        ({**HKD, "site_area": "phuong_noi_thanh", "cleaner_production": False}, CLEANER, "sạch"),
        ({**LARGE, "cleaner_production": False}, CLEANER, "sản xuất sạch hơn"),
        ({**LARGE, "cleaner_production": False}, "NĐ 80/2021/NĐ-CP Đ5 k1–3", "200"),
        ({**HKD, "sector": "gach_nung_thu_cong"}, "TT 46/2012/TT-BCT Đ5 k1", "không nung"),
        ({**HKD, "sector": "thuong_mai_dich_vu"}, "NĐ 45/2012/NĐ-CP Đ1 k2 a; Đ5 k1", "sản xuất"),
        (
            {**HKD, "other_state_funding_same_content": True},
            "TTLT 26/2014/TTLT-BTC-BCT Đ7",
            "khác",
        ),
    ],
)
def test_what_would_change_the_result(
    answers: dict, change_source: str, change_words: str
) -> None:
    changes = run(answers)["changes"]
    assert any(c["source"] == change_source and change_words in c["text"] for c in changes), (
        changes
    )


def test_supports_for_a_rural_establishment_lead_with_its_sector() -> None:
    crafts = run({**HKD, "sector": "tieu_thu_cong_nghiep"})["supports"]
    assert crafts[:2] == ["dao_tao_nghe", "san_pham_tieu_bieu"]
    assert set(crafts) == set(SUPPORT_TOPICS)


def test_cleaner_production_route_only_opens_cleaner_production_supports() -> None:
    result = run({**LARGE, "cleaner_production": True, "difficult_area": True})
    assert result["supports"] == ["san_xuat_sach_hon", "mo_hinh_trinh_dien"]
    assert result["routes"] == ["san_xuat_sach_hon"]
    # TT 46/2012 Đ6 k3: cleaner-production projects are not ranked by area or sector.
    assert sources(result["priority"]) == {"TT 46/2012/TT-BCT Đ6 k3"}


@pytest.mark.parametrize(
    ("answers", "expected", "absent"),
    [
        ({**HKD, "difficult_area": True}, "NĐ 45/2012/NĐ-CP Đ6 k1", None),
        ({**HKD, "difficult_area": False}, "NĐ 45/2012/NĐ-CP Đ6 k2 a", "NĐ 45/2012/NĐ-CP Đ6 k1"),
        ({**HKD, "employees": 50}, "TT 46/2012/TT-BCT Đ6 k2 c", None),
        (
            {**HKD, "sector": "tieu_thu_cong_nghiep", "employees": 49},
            None,
            "TT 46/2012/TT-BCT Đ6 k2 c",
        ),
        ({**HKD, "sector": "tieu_thu_cong_nghiep"}, None, "NĐ 45/2012/NĐ-CP Đ6 k2 a"),
        (
            {**HKD, "sector": "tieu_thu_cong_nghiep", "cleaner_production": True},
            "NĐ 45/2012/NĐ-CP Đ6 k2 a",
            None,
        ),
    ],
)
def test_priority(answers: dict, expected: str | None, absent: str | None) -> None:
    priority = sources(run(answers)["priority"])
    if expected:
        assert expected in priority
    if absent:
        assert absent not in priority


def test_chemicals_sector_gets_a_priority_hint() -> None:
    changes = run({**HKD, "sector": "hoa_chat_vat_lieu_xay_dung"})["changes"]
    assert any("hóa chất phục vụ nông nghiệp" in c["text"] for c in changes)


def test_optional_questions_only_while_they_matter() -> None:
    assert run(HKD)["optional"] == ["difficult_area", "other_state_funding_same_content"]
    done = {**HKD, "difficult_area": False, "other_state_funding_same_content": False}
    assert run(done)["optional"] == []
    cleaner_only = {**LARGE, "cleaner_production": True}
    assert run(cleaner_only)["optional"] == ["other_state_funding_same_content"]


def test_dialogue_verifies_enterprise_size() -> None:
    result = run({"entity_type": "dnnvv"}, verify_sme=True)
    assert result["missing"] == [
        "employees",
        "revenue_billion",
        "capital_billion",
        "site_area",
        "sector",
    ]
    large = evaluate(RULES, parse_answers({**SME, "employees": 300}), verify_sme=True)
    assert large.enterprise == "doanh_nghiep_lon"


@pytest.mark.parametrize(
    "bad",
    [
        {"entity_type": "cong_ty"},
        {"site_area": "quan_1"},
        {"employees": -1},
        {"cleaner_production": "maybe"},
        [],
        "text",
    ],
)
def test_bad_answers_are_rejected(bad: object) -> None:
    with pytest.raises(AnswersError):
        parse_answers(bad)


def test_null_and_unknown_keys_are_ignored() -> None:
    assert run({**HKD, "cleaner_production": None, "comment": "x"})["verdict"] == "eligible"


def test_kb_counts_report_the_rules() -> None:
    assert load_knowledge().counts()["eligibility_criteria"] == 19


# --- the loader: officers edit the file, errors must point at the line -----------------------


def _edited(tmp_path: Path, old: str, new: str) -> tuple[Path, int]:
    text = RULES_PATH.read_text(encoding="utf-8")
    assert old in text, old
    line = text[: text.index(old)].count("\n") + 1
    path = tmp_path / "eligibility.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path, line


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("max_employees: 200", "max_employees: -5", "max_employees"),
        ("max_employees: 200", "max_employee: 200", "max_employee"),
        ("effective: 2021-10-15", "effective: sometime", "effective"),
        ("sectors: [che_bien_nong_lam_thuy_san, co_khi", "sectors: [che_bien, co_khi", "che_bien"),
        ("{entity} là một", "{entiti} là một", "entiti"),
        ("supports: [san_xuat_sach_hon, mo_hinh_trinh_dien]", "supports: [khong_co]", "khong_co"),
        ("    htx: {label:", "    hop_tac_xa: {label:", "hop_tac_xa"),
    ],
)
def test_loader_names_file_and_line(tmp_path: Path, old: str, new: str, message: str) -> None:
    path, line = _edited(tmp_path, old, new)
    with pytest.raises(KnowledgeError) as info:
        load_rules(path)
    assert info.value.path == str(path)
    assert message in info.value.message
    assert info.value.line == line, (info.value, line)


def test_officer_can_change_a_threshold(tmp_path: Path) -> None:
    path, _ = _edited(tmp_path, "max_employees: 200", "max_employees: 300")
    rules = load_rules(path)
    answers = parse_answers({**SME, "employees": 250, "revenue_billion": 10})
    assert evaluate(rules, answers).verdict == "eligible"
    assert evaluate(RULES, answers).verdict == "need_more_info"
