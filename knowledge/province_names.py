"""Finds province names in what a user writes — the 34 units since 01/7/2025 and the 63 old
provinces, with or without diacritics ("Bến Tre cũ", "tinh soc trang", "tp hcm") — and maps
each old province to the new one (NQ 202/2025/QH15; data in `knowledge/provinces/*.yaml`).

Names that are also common words ("hòa bình", "đà nẵng" ~ "đa năng", "điện biên" ~ "diễn
biến", "huế" ~ "huệ") count only next to a place word: "tỉnh", "tp", "thành phố", "ở",
"tại", "thuộc", "quê" before, or "cũ" after. A name typed with diacritics that differ from
the province's ("hoa huệ") is not a mention."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from knowledge.provinces import OldProvince, Province
from knowledge.search.normalise import fold
from knowledge.ui import UiTexts

MAX_NAME_WORDS = 4
# Folded words that make an ambiguous name a place.
_BEFORE = frozenset({"tinh", "tp", "o", "tai", "thuoc", "que"})
_BEFORE_TWO = frozenset({("thanh", "pho"), ("dia", "ban")})
# Words after a name that say the user means the province before 01/7/2025.
_OLD_AFTER = (("cu",), ("truoc", "day"), ("truoc", "sap", "nhap"), ("truoc", "khi", "nhap"))
_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class ProvinceMention:
    old: OldProvince
    province: Province
    said_old: bool  # "Bến Tre cũ", "trước sáp nhập"
    typed: str  # the folded spelling found: "ben tre", "hue"

    @property
    def renamed(self) -> bool:
        """The old province now goes by another name, or is part of a larger one."""
        new = fold(self.province.short_name)
        if self.said_old and self.province.merged:
            return True
        return fold(self.old.name) != new and self.typed != new


def _marks(word: str) -> list[str]:
    decomposed = unicodedata.normalize("NFD", word.lower())
    return sorted(ch for ch in decomposed if unicodedata.category(ch) == "Mn" or ch == "đ")


class ProvinceNames:
    """Old and new province names of the overlays, ready to search in free text."""

    def __init__(self, provinces: Mapping[str, Province]) -> None:
        self._names: dict[tuple[str, ...], tuple[OldProvince, Province, bool]] = {}
        for province in provinces.values():
            for old in province.merged_from:
                for spelling in old.aliases:
                    self._names[tuple(spelling.split())] = (old, province, False)
                for spelling in old.context_only:
                    self._names[tuple(spelling.split())] = (old, province, True)

    def find(self, text: str) -> list[ProvinceMention]:
        """Mentions in reading order, each old province once."""
        words = _WORD.findall(unicodedata.normalize("NFC", text).lower().replace("_", " "))
        folded = [fold(w) for w in words]
        found: list[ProvinceMention] = []
        seen: set[str] = set()
        i = 0
        while i < len(words):
            for size in range(min(MAX_NAME_WORDS, len(words) - i), 0, -1):
                key = tuple(folded[i : i + size])
                entry = self._names.get(key)
                if entry is None:
                    continue
                old, province, needs_context = entry
                if not self._same_marks(old, words[i : i + size]):
                    continue
                after = folded[i + size : i + size + 3]
                said_old = any(tuple(after[: len(p)]) == p for p in _OLD_AFTER)
                before = folded[i - 1] if i else ""
                context = before in _BEFORE or tuple(folded[max(0, i - 2) : i]) in _BEFORE_TWO
                if needs_context and not (context or said_old):
                    continue
                if old.name not in seen:
                    seen.add(old.name)
                    found.append(ProvinceMention(old, province, said_old, " ".join(key)))
                i += size - 1
                break
            i += 1
        return found

    @staticmethod
    def _same_marks(old: OldProvince, typed: list[str]) -> bool:
        """Typed diacritics must agree with the name's (tone placement "hoà"/"hòa" aside)."""
        name = _WORD.findall(unicodedata.normalize("NFC", old.name).lower())
        if len(name) != len(typed) or [fold(w) for w in name] != [fold(w) for w in typed]:
            return True  # an alias such as "tp hcm": nothing to compare
        return all(
            w == fold(w) or _marks(w) == _marks(n) for w, n in zip(typed, name, strict=True)
        )

    def new_province(self, name: str) -> Province | None:
        """The province since 01/7/2025 of one old or new name ("Sóc Trăng" → Cần Thơ)."""
        key = tuple(" ".join(fold(name).replace("-", " ").split()).split())
        for prefix in (("tinh",), ("thanh", "pho"), ("tp",)):
            if key[: len(prefix)] == prefix and key[len(prefix) :] in self._names:
                key = key[len(prefix) :]
        entry = self._names.get(key)
        return entry[1] if entry else None

    def renamed(self, text: str) -> list[ProvinceMention]:
        """The mentions worth a sentence: an old province now part of a new one."""
        return [m for m in self.find(text) if m.renamed]


def province_note(names: ProvinceNames, ui: UiTexts, text: str) -> str:
    """One sentence per old province the text names that is now part of another province
    ("Sóc Trăng (tỉnh cũ) nay thuộc thành phố Cần Thơ…"); "" when there is none."""
    lines = []
    for mention in names.renamed(text):
        new = mention.province
        members = ", ".join(o.name for o in new.merged_from)
        key = "place.renamed" if new.merged else "place.renamed_single"
        lines.append(
            ui.text(
                key,
                old=mention.old.name,
                old_kind=mention.old.kind,
                new=new.display,
                members=members,
                agency=new.agency,
            )
        )
    return "\n".join(lines)
