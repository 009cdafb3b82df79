"""The answers of SPEC §4: the fixed keys and values, and their validation."""

from __future__ import annotations

from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from knowledge.topics import SUPPORT_TOPIC_IDS

# The contract of SPEC §4: these names are used by evaluation sets and the intake prefill.
CHOICE_VALUES: dict[str, tuple[str, ...]] = {
    "entity_type": (
        "dnnvv",
        "doanh_nghiep_lon",
        "htx",
        "to_hop_tac",
        "ho_kinh_doanh",
        "chua_dang_ky",
    ),
    "site_area": ("xa", "phuong_tu_xa_duoi_5_nam", "phuong_do_thi_loai_2_3", "phuong_noi_thanh"),
    "sector": (
        "che_bien_nong_lam_thuy_san",
        "hang_tieu_dung_xuat_khau",
        "hoa_chat_vat_lieu_xay_dung",
        "co_khi_dien_tu_cnht",
        "tieu_thu_cong_nghiep",
        "khai_khoang_vung_kho_khan",
        "san_xuat_sach_hon_xu_ly_o_nhiem",
        "thuong_mai_dich_vu",
        "gach_nung_thu_cong",
    ),
}
BOOLEAN_KEYS = ("cleaner_production", "difficult_area", "other_state_funding_same_content")
NUMBER_KEYS = ("employees", "revenue_billion", "capital_billion")
ANSWER_KEYS = (*CHOICE_VALUES, *BOOLEAN_KEYS, *NUMBER_KEYS)

# Support topic ids of SPEC §3 that an establishment can be offered (written once, there).
SUPPORT_TOPICS = SUPPORT_TOPIC_IDS

class Answers(BaseModel):
    """Validated answers; absent or null keys are None. Unknown keys are ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    # One of CHOICE_VALUES[key] (checked below; the values are written once, above).
    entity_type: str | None = None
    site_area: str | None = None
    sector: str | None = None
    cleaner_production: bool | None = None
    employees: float | None = Field(default=None, ge=0)
    revenue_billion: float | None = Field(default=None, ge=0)
    capital_billion: float | None = Field(default=None, ge=0)
    difficult_area: bool | None = None
    other_state_funding_same_content: bool | None = None

    @field_validator("entity_type", "site_area", "sector")
    @classmethod
    def _one_of_spec_values(cls, value: str | None, info: ValidationInfo) -> str | None:
        allowed = CHOICE_VALUES[str(info.field_name)]
        if value is not None and value not in allowed:
            raise ValueError(f"Input should be {', '.join(repr(v) for v in allowed)}")
        return value

    def given(self) -> dict[str, Any]:
        return {k: v for k, v in self.model_dump().items() if v is not None}


class AnswersError(ValueError):
    """Answers that do not fit SPEC §4; the message lists each bad key in plain words."""


def parse_answers(data: Any) -> Answers:
    if not isinstance(data, dict):
        raise AnswersError("answers must be a JSON object")
    try:
        return Answers.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise AnswersError(problems) from None
