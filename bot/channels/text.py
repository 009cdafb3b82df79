"""Cutting a long reply into messages a platform accepts (shared by the channel packages)."""

from __future__ import annotations


def split_text(text: str, limit: int, *, min_cut: int) -> list[str]:
    """Pieces of at most `limit` characters, cut at a paragraph break, else a line break, else
    a space found at index `min_cut` or later (so no piece is tiny); else cut hard at the
    limit. An empty text gives no piece. The platform limits are in each channel's sender."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[: limit + 1]
        cut = limit
        for separator in ("\n\n", "\n", " "):
            at = window.rfind(separator)
            if at >= max(1, min_cut):
                cut = at
                break
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces
