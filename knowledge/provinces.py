"""Province overlays: one `knowledge/provinces/<code>.yaml` for each of the 34 provincial units
in place since 01/7/2025 (NQ 202/2025/QH15; SPEC §2 `BOT_PROVINCE`), with the old provinces
merged into each (names and typed spellings), the local khuyến công unit and contacts where a
source gives them, the local regulation on rates, and notes added to topic answers."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from knowledge.search.normalise import fold
from knowledge.yamlfile import KnowledgeError, LineDict, load_yaml

CONTACT_FIELDS = ("phone", "address", "email", "website")
# The 34 codes of shared/provinces-2025.yaml (SPEC §2): 6 centrally-run cities + 28 provinces.
PROVINCE_CODES = (
    "ha_noi", "cao_bang", "tuyen_quang", "dien_bien", "lai_chau", "son_la", "lao_cai",
    "thai_nguyen", "lang_son", "quang_ninh", "bac_ninh", "phu_tho", "hai_phong", "hung_yen",
    "ninh_binh", "thanh_hoa", "nghe_an", "ha_tinh", "quang_tri", "hue", "da_nang",
    "quang_ngai", "gia_lai", "khanh_hoa", "dak_lak", "lam_dong", "dong_nai", "ho_chi_minh",
    "tay_ninh", "dong_thap", "vinh_long", "an_giang", "can_tho", "ca_mau",
)  # fmt: skip
KINDS = {"tinh": "tỉnh", "thanh_pho": "thành phố"}
OLD_KINDS = ("tỉnh", "thành phố")


@dataclass(frozen=True, slots=True)
class OldProvince:
    """A province as it was before 01/7/2025 (one of 63), and how users type its name."""

    name: str  # "Sóc Trăng"
    kind: str  # "tỉnh" | "thành phố"
    aliases: tuple[str, ...]  # folded spellings recognised anywhere: "soc trang"
    context_only: tuple[str, ...]  # folded spellings that are also common words: "hoa binh"


@dataclass(frozen=True, slots=True)
class Province:
    code: str
    name: str  # "Thành phố Cần Thơ"
    short_name: str  # "Cần Thơ"
    kind: str  # "tinh" | "thanh_pho"
    merged_from: tuple[OldProvince, ...]
    later_change: str
    agency: str
    centre: str
    centre_source: str
    regulation: str
    regulation_status: str
    local_rates: str
    contacts: dict[str, str]
    deadlines: str
    sources: tuple[str, ...]
    notes: dict[str, str]

    @property
    def display(self) -> str:
        """The name inside a sentence: "thành phố Cần Thơ", "tỉnh Vĩnh Long"."""
        return f"{KINDS[self.kind]} {self.short_name}"

    @property
    def merged(self) -> bool:
        return len(self.merged_from) > 1


def _required(path: Path, data: LineDict, key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise KnowledgeError(path, data.line_of(key), f"'{key}' must be a non-empty text")
    return value.strip()


def _optional(path: Path, data: LineDict, key: str) -> str:
    value = data.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise KnowledgeError(path, data.line_of(key), f"'{key}' must be a text (or empty)")
    return value.strip()


def _spellings(path: Path, item: LineDict, key: str) -> tuple[str, ...]:
    value = item.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise KnowledgeError(path, item.line_of(key), f"'{key}' must be a list of texts")
    for spelling in value:
        if spelling != " ".join(fold(spelling).split()) or not spelling:
            raise KnowledgeError(
                path,
                item.line_of(key),
                f"{key} {spelling!r} must be written folded: lower case, no diacritics "
                f"({' '.join(fold(spelling).split())!r})",
            )
    return tuple(value)


def _old_provinces(path: Path, data: LineDict) -> tuple[OldProvince, ...]:
    items = data.get("merged_from")
    if not isinstance(items, list) or not items:
        raise KnowledgeError(
            path, data.line_of("merged_from"), "'merged_from' needs the old provinces"
        )
    result = []
    for item in items:
        if not isinstance(item, LineDict):
            raise KnowledgeError(
                path, data.line_of("merged_from"), "each old province is a mapping"
            )
        kind = _required(path, item, "kind")
        if kind not in OLD_KINDS:
            raise KnowledgeError(path, item.line_of("kind"), f"'kind' is one of {OLD_KINDS}")
        old = OldProvince(
            name=_required(path, item, "name"),
            kind=kind,
            aliases=_spellings(path, item, "aliases"),
            context_only=_spellings(path, item, "context_only"),
        )
        if not old.aliases and not old.context_only:
            raise KnowledgeError(path, item.line, f"{old.name}: give 'aliases' or 'context_only'")
        result.append(old)
    return tuple(result)


def load_province(path: Path, topic_ids: Collection[str]) -> Province:
    data = load_yaml(path)
    if not isinstance(data, LineDict):
        raise KnowledgeError(path, 1, "expected a mapping")
    code = _required(path, data, "code")
    if code != path.stem:
        raise KnowledgeError(path, data.line_of("code"), f"code {code!r} must match file name")
    if code not in PROVINCE_CODES:
        raise KnowledgeError(
            path,
            data.line_of("code"),
            f"unknown province code {code!r}: use one of the 34 codes since 01/7/2025 "
            "(an old province belongs in the file of its new province, under merged_from)",
        )
    kind = _required(path, data, "kind")
    if kind not in KINDS:
        raise KnowledgeError(path, data.line_of("kind"), f"'kind' is one of {', '.join(KINDS)}")
    reg_text = reg_status = ""
    regulation = data.get("regulation")
    if regulation is not None:
        if not isinstance(regulation, LineDict):
            raise KnowledgeError(
                path, data.line_of("regulation"), "'regulation' must be a mapping"
            )
        reg_text = (
            f"{_required(path, regulation, 'number')} ngày {_required(path, regulation, 'date')}"
            f" ({_required(path, regulation, 'title')})"
        )
        reg_status = _required(path, regulation, "status")
    contacts = data.get("contacts", LineDict())
    if not isinstance(contacts, LineDict) or set(contacts) - set(CONTACT_FIELDS):
        raise KnowledgeError(
            path, data.line_of("contacts"), f"'contacts' allows {', '.join(CONTACT_FIELDS)}"
        )
    notes = data.get("notes") or LineDict()
    if not isinstance(notes, LineDict):
        raise KnowledgeError(path, data.line_of("notes"), "'notes' must map topic ids to texts")
    for topic_id in notes:
        if topic_id not in topic_ids:
            raise KnowledgeError(path, notes.line_of(topic_id), f"unknown topic {topic_id!r}")
        _required(path, notes, topic_id)
    sources = data.get("sources", [])
    if not isinstance(sources, list) or not sources:
        raise KnowledgeError(path, data.line_of("sources"), "'sources' needs at least one entry")
    centre = _optional(path, data, "centre")
    centre_source = _optional(path, data, "centre_source")
    if centre and not centre_source:
        raise KnowledgeError(path, data.line_of("centre"), "'centre' needs its 'centre_source'")
    has_contact = any(_optional(path, contacts, f) for f in CONTACT_FIELDS)
    if has_contact and not _optional(path, data, "contacts_source"):
        raise KnowledgeError(path, data.line_of("contacts"), "contacts need 'contacts_source'")
    return Province(
        code=code,
        name=_required(path, data, "name"),
        short_name=_required(path, data, "short_name"),
        kind=kind,
        merged_from=_old_provinces(path, data),
        later_change=_optional(path, data, "later_change"),
        agency=_required(path, data, "agency"),
        centre=centre,
        centre_source=centre_source,
        regulation=reg_text,
        regulation_status=reg_status,
        local_rates=_optional(path, data, "local_rates"),
        contacts={f: _optional(path, contacts, f) for f in CONTACT_FIELDS},
        deadlines=_optional(path, data, "deadlines"),
        sources=tuple(str(s) for s in sources),
        notes={k: str(v).strip() for k, v in notes.items()},
    )


def load_provinces(folder: Path, topic_ids: Collection[str]) -> dict[str, Province]:
    """Every overlay is validated, whichever one this deployment uses; all 34 codes must be
    present and each old province may belong to one new province only."""
    provinces = {p.stem: load_province(p, topic_ids) for p in sorted(folder.glob("*.yaml"))}
    missing = [code for code in PROVINCE_CODES if code not in provinces]
    if missing:
        raise KnowledgeError(
            folder, None, f"no file for province {missing[0]!r} ({missing[0]}.yaml)"
        )
    owner: dict[str, str] = {}
    for province in provinces.values():
        for old in province.merged_from:
            for spelling in (*old.aliases, *old.context_only):
                if owner.setdefault(spelling, province.code) != province.code:
                    raise KnowledgeError(
                        folder / f"{province.code}.yaml",
                        None,
                        f"{spelling!r} is already an old name of {owner[spelling]}",
                    )
    return provinces


def check_province_code(code: str | None) -> None:
    """Raises ValueError naming the valid codes when `code` is not one of the 34."""
    if code is not None and code not in PROVINCE_CODES:
        raise ValueError(
            f"unknown province code {code!r}; use one of: {', '.join(PROVINCE_CODES)}"
        )
