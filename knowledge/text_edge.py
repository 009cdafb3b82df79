"""Text as it enters the core: one normal form for questions, typed answers, names and numbers.

Phones and desktop keyboards put invisible or look-alike characters into what people type:
no-break spaces (U+00A0, U+202F from French/Vietnamese layouts, U+3000 from CJK input),
zero-width joiners and bidi marks (copied from Zalo/Facebook), full-width digits
("１２３" from some IMEs). Left in place they split words for search ("hỗ\u00a0trợ" abstains)
or vanish and glue words ("Nguyễn\u00a0Văn\u00a0An" → "NguyễnVănAn" in the đề án).
"""

from __future__ import annotations

import unicodedata

# Line and paragraph separators, tabs and newlines also become a space: a message is one line.
_SPACE_CATEGORIES = frozenset({"Zs", "Zl", "Zp"})
_SPACE_CONTROLS = frozenset("\t\n\r\v\f\x1c\x1d\x1e\x1f\x85")


def _edge_char(ch: str) -> str:
    category = unicodedata.category(ch)
    if category in _SPACE_CATEGORIES or ch in _SPACE_CONTROLS:
        return " "
    if category == "Nd":
        # Any Unicode decimal digit (full-width, Arabic-Indic, …) becomes its ASCII digit.
        return str(unicodedata.digit(ch))
    if not ch.isprintable():
        # Cc controls, Cf format marks (zero-width U+200B–U+200D, U+2060, U+FEFF; bidi marks
        # U+200E/F, U+202A–E, U+2066–9), surrogates and unassigned code points are dropped.
        return ""
    return ch


def edge_text(raw: str | None) -> str:
    """The text of an incoming message in the form the whole core reads: NFC (Vietnamese
    letters keep their composed diacritics; never NFKD), every Unicode space and line break a
    plain space, zero-width, bidi and control characters dropped, Unicode decimal digits
    ASCII, runs of spaces collapsed, trimmed. `None` or "" gives "". Never raises; idempotent.
    """
    if not raw:
        return ""
    mapped = "".join(_edge_char(ch) for ch in unicodedata.normalize("NFC", raw))
    # Dropping a mark between a letter and its combining accent may allow a new composition.
    return " ".join(unicodedata.normalize("NFC", mapped).split())
