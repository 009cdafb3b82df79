"""Yes and no as owners type them, folded (no diacritics): "có", "dạ", "ừ", "không", "chưa"…

The one list of such words: the eligibility reading, yes/no form steps and the intake's
consent all read replies through `read_yes_no`.
"""

from __future__ import annotations

YES_WORDS = frozenset(
    {
        "co", "co a", "da co", "dung", "roi", "vang", "da", "ok", "yes", "u", "uh", "phai",
        "dong y", "cam ket",
    }
)  # fmt: skip
NO_WORDS = frozenset(
    {
        "khong", "khong a", "ko", "k", "kg", "chua", "chua co", "chua dung", "no", "sai",
        "khong phai", "khong dong y",
    }
)  # fmt: skip


def read_yes_no(folded: str) -> bool | None:
    """True for a yes word, False for a no word, None otherwise; `folded` is already folded
    (knowledge.parsing.fold) and matched whole."""
    if folded in NO_WORDS:
        return False
    if folded in YES_WORDS:
        return True
    return None
