"""Tax codes (mã số thuế): 10 digits, or 13 digits for a branch ("0101234567-001")."""

from __future__ import annotations

import re

from knowledge.parsing.errors import ParseError

_EXAMPLE = 'ví dụ "0101234567" hoặc "0101234567-001"'


def parse_tax_code(text: str) -> str:
    """The code as printed on papers: "0101234567" or "0101234567-001"."""
    raw = (text or "").strip()
    if not raw:
        raise ParseError(f"Dạ, em chưa nhận được mã số thuế. Anh/chị gõ mã, {_EXAMPLE} ạ.")
    if not re.fullmatch(r"[\d\s.\-]+", raw):
        raise ParseError(f"Dạ, mã số thuế chỉ gồm chữ số. Anh/chị gõ lại, {_EXAMPLE} ạ.")
    digits = re.sub(r"\D", "", raw)
    if len(digits) == 10:
        return digits
    if len(digits) == 13:
        return f"{digits[:10]}-{digits[10:]}"
    raise ParseError(
        f"Dạ, mã số thuế có 10 hoặc 13 chữ số, mã anh/chị gõ có {len(digits)} chữ số. "
        f"Anh/chị kiểm tra lại, {_EXAMPLE} ạ."
    )
