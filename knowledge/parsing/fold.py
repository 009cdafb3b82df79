"""Diacritic folding for matching typed words ("tỷ", "ty", "TỶ" all read the same)."""

from __future__ import annotations

from knowledge.search.normalise import fold as fold_letters


def fold(text: str) -> str:
    """Lower case, no diacritics, "đ" → "d", whitespace collapsed."""
    return " ".join(fold_letters(text).split())
