"""Which folded syllables the typo snapper may treat as real words.

Examples are written "as owners type", typos included ("phan tramm", "bieuu", "congg"). Taken
as vocabulary, such a word would be kept as typed — never repaired to the word it stands for —
and would become a target other typos snap to. So the vocabulary is built from trusted text
(topic titles, answers, keywords, out-of-scope replies, the lexicon, and phrasings written
with diacritics, whose authors spelled with care) and, from unaccented phrasings, only the
words that are well-formed syllables: an onset and a rhyme that trusted text also has
("dum", "ri", "xiu" stay; "tramm", "tienn", "ngiep" do not).
"""

from __future__ import annotations

from collections.abc import Iterable

# Vietnamese onsets, longest first (Đoàn Thiện Thuật, "Ngữ âm tiếng Việt": 22 consonants
# plus the spellings gh, ngh, k, q(u)); folded, so đ is d.
_ONSETS = (
    "ngh",
    "ng",
    "nh",
    "ch",
    "gh",
    "gi",
    "kh",
    "ph",
    "qu",
    "th",
    "tr",
    *"bcdghklmnprstvx",
)
# Spelling rules: k, gh, ngh only before i, e (ê), y; c, g, ng never before them.
_FRONT = ("i", "e", "y")


def split_syllable(word: str) -> tuple[str, str] | None:
    """(onset, rhyme) of a folded syllable, or None when it cannot be one: no vowel, or a
    front vowel after c/g/ng, a back one after k/gh/ngh."""
    if not word.isalpha() or not word.isascii():
        return None
    onset = next((o for o in _ONSETS if word.startswith(o) and len(word) > len(o)), "")
    rhyme = word[len(onset) :]
    if word.startswith("gi") and (onset == "g" or rhyme[0] not in "aeiouy"):
        onset, rhyme = "gi", "i" + word[2:]  # gì, gìn: the i is both onset and rhyme
    if not rhyme or rhyme[0] not in "aeiouy":
        return None
    front = rhyme.startswith(_FRONT)
    if onset in ("c", "g", "ng") and front or onset in ("k", "gh", "ngh") and not front:
        return None
    return onset, rhyme


def snap_vocabulary(trusted: Iterable[str], unaccented: Iterable[str]) -> set[str]:
    """`trusted` words, plus the `unaccented` (folded words of phrasings typed without
    diacritics) that split into a rhyme some trusted word has."""
    known = set(trusted)
    rhymes = {parts[1] for parts in map(split_syllable, known) if parts is not None}
    for word in unaccented:
        parts = split_syllable(word)
        if parts is not None and parts[1] in rhymes:
            known.add(word)
    return known
