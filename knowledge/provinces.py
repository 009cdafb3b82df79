"""Province overlays (`knowledge/provinces/<code>.yaml`, chosen by BOT_PROVINCE): local
agencies, the local regulation on rates, contacts and notes added to topic answers."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from knowledge.yamlfile import KnowledgeError, LineDict, load_yaml

CONTACT_FIELDS = ("phone", "address", "email", "website")


@dataclass(frozen=True, slots=True)
class Province:
    code: str
    name: str
    agency: str
    centre: str
    regulation: str
    regulation_status: str
    contacts: dict[str, str]
    deadlines: str
    sources: tuple[str, ...]
    notes: dict[str, str]


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


def load_province(path: Path, topic_ids: Collection[str]) -> Province:
    data = load_yaml(path)
    if not isinstance(data, LineDict):
        raise KnowledgeError(path, 1, "expected a mapping")
    code = _required(path, data, "code")
    if code != path.stem:
        raise KnowledgeError(path, data.line_of("code"), f"code {code!r} must match file name")
    regulation = data.get("regulation")
    if not isinstance(regulation, LineDict):
        raise KnowledgeError(path, data.line_of("regulation"), "'regulation' must be a mapping")
    reg_text = (
        f"{_required(path, regulation, 'number')} ngày {_required(path, regulation, 'date')}"
        f" ({_required(path, regulation, 'title')})"
    )
    contacts = data.get("contacts", LineDict())
    if not isinstance(contacts, LineDict) or set(contacts) - set(CONTACT_FIELDS):
        raise KnowledgeError(
            path, data.line_of("contacts"), f"'contacts' allows {', '.join(CONTACT_FIELDS)}"
        )
    notes = data.get("notes", LineDict())
    if not isinstance(notes, LineDict):
        raise KnowledgeError(path, data.line_of("notes"), "'notes' must map topic ids to texts")
    for topic_id in notes:
        if topic_id not in topic_ids:
            raise KnowledgeError(path, notes.line_of(topic_id), f"unknown topic {topic_id!r}")
        _required(path, notes, topic_id)
    sources = data.get("sources", [])
    if not isinstance(sources, list) or not sources:
        raise KnowledgeError(path, data.line_of("sources"), "'sources' needs at least one entry")
    return Province(
        code=code,
        name=_required(path, data, "name"),
        agency=_required(path, data, "agency"),
        centre=_optional(path, data, "centre"),
        regulation=reg_text,
        regulation_status=_optional(path, regulation, "status"),
        contacts={f: _optional(path, contacts, f) for f in CONTACT_FIELDS},
        deadlines=_optional(path, data, "deadlines"),
        sources=tuple(str(s) for s in sources),
        notes={k: str(v).strip() for k, v in notes.items()},
    )


def load_provinces(folder: Path, topic_ids: Collection[str]) -> dict[str, Province]:
    """Every overlay is validated, whichever one this deployment uses."""
    return {p.stem: load_province(p, topic_ids) for p in sorted(folder.glob("*.yaml"))}
