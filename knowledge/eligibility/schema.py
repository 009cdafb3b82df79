"""The eligibility rules file: pydantic models and a loader that reports errors as file:line."""

from __future__ import annotations

import string
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from knowledge.eligibility.answers import (
    ANSWER_KEYS,
    BOOLEAN_KEYS,
    CHOICE_VALUES,
    NUMBER_KEYS,
    SUPPORT_TOPICS,
)
from knowledge.topics import STATUS_KEYS
from knowledge.yamlfile import KnowledgeError, LineDict, load_mapping


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Criterion(_Strict):
    """One legal criterion: where it comes from, since when, and how it reads to the user."""

    source: str = Field(min_length=3)
    effective: date
    status: str = Field(min_length=3)
    legal_status: list[str] = Field(min_length=1)
    text: str = Field(min_length=3)
    fail_text: str | None = None
    change: str | None = None

    @field_validator("legal_status")
    @classmethod
    def _known_status(cls, value: list[str]) -> list[str]:
        unknown = [v for v in value if v not in STATUS_KEYS or v == "guide"]
        if unknown:
            raise ValueError(f"unknown legal_status {unknown[0]!r} (use {', '.join(STATUS_KEYS)})")
        return value


class EntityCriterion(Criterion):
    entity_types: list[str]


class ExclusionCriterion(Criterion):
    excluded: list[str]


class SmeSize(_Strict):
    name: str
    employees: int = Field(gt=0)
    revenue_billion: float = Field(gt=0)
    capital_billion: float = Field(gt=0)


class SmeCriterion(Criterion):
    max_employees: int = Field(gt=0)
    max_revenue_billion: float = Field(gt=0)
    max_capital_billion: float = Field(gt=0)
    sizes: list[SmeSize] = Field(min_length=1)


class SiteCriterion(Criterion):
    allowed: list[str]
    excluded: list[str]


class FiveYearCriterion(Criterion):
    years: int = Field(gt=0)


class SectorsCriterion(Criterion):
    eligible: dict[str, str]


class SectorRule(Criterion):
    sector: str


class CleanerCriterion(Criterion):
    supports: list[str] = Field(min_length=1)


class Topic(_Strict):
    label: str = Field(min_length=1)
    source: str = Field(min_length=3)


class SupportsCriterion(Criterion):
    topics: dict[str, Topic] = Field(min_length=1)
    first_for_sector: dict[str, list[str]] = {}


class PrioritySectorCriterion(Criterion):
    sectors: list[str]
    hint_sectors: list[str] = []
    hint: str | None = None


class PriorityLabourCriterion(Criterion):
    min_employees: int = Field(gt=0)


class Criteria(_Strict):
    cnnt_entity: EntityCriterion
    registered: ExclusionCriterion
    sme_industry: SmeCriterion
    sme_self_declared: Criterion
    site_area: SiteCriterion
    site_not_head_office: Criterion
    five_year_ward: FiveYearCriterion
    sectors: SectorsCriterion
    mining_difficult_area: SectorRule
    trade_services: SectorRule
    clay_brick_kiln: SectorRule
    cleaner_production: CleanerCriterion
    other_state_funding: Criterion
    supports: SupportsCriterion
    priority_area: Criterion
    priority_sector: PrioritySectorCriterion
    priority_labour: PriorityLabourCriterion
    priority_products: Criterion
    priority_cleaner_production: Criterion


class ValueInfo(_Strict):
    label: str = Field(min_length=1)
    words: list[str] = []
    examples: str | None = None


class RangeOption(_Strict):
    label: str = Field(min_length=1)
    value: float = Field(ge=0)


class EligibilityRules(_Strict):
    note: str = Field(min_length=10)
    criteria: Criteria
    values: dict[str, dict[str, ValueInfo]]
    ranges: dict[str, list[RangeOption]]
    enterprise_words: list[str] = []

    @field_validator("ranges")
    @classmethod
    def _ranges_for_numbers(cls, ranges: dict[str, list[RangeOption]]) -> Any:
        if set(ranges) != set(NUMBER_KEYS):
            raise ValueError(f"ranges must be given for exactly {list(NUMBER_KEYS)}")
        for key, options in ranges.items():
            values = [o.value for o in options]
            if len(values) < 2 or values != sorted(set(values)):
                raise ValueError(f"{key}: ranges must be at least two, in increasing order")
        return ranges

    def label(self, key: str, value: object) -> str:
        raw = str(value).lower() if isinstance(value, bool) else str(value)
        info = self.values.get(key, {}).get(raw)
        return info.label if info else raw

    @property
    def criteria_count(self) -> int:
        return len(Criteria.model_fields)


def load_rules(path: Path) -> EligibilityRules:
    """Parse and validate the rules; every error names the file and the line of the entry."""
    data = load_mapping(path, "with note, criteria, values, ranges")
    try:
        rules = EligibilityRules.model_validate(data)
    except ValidationError as exc:
        # An unknown key points at its own line; a missing one only at its parent.
        errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
        err = errors[0]
        loc = tuple(err["loc"])
        where = ".".join(str(p) for p in loc) or "(top)"
        raise KnowledgeError(path, _line_at(data, loc), f"{where}: {err['msg']}") from None
    _check_values(path, data, rules)
    _check_references(path, data, rules)
    return rules


def _check_values(path: Path, data: LineDict, rules: EligibilityRules) -> None:
    """Every SPEC §4 value has a label, and nothing else does."""
    expected = {k: set(v) for k, v in CHOICE_VALUES.items()}
    expected |= {k: {"true", "false"} for k in BOOLEAN_KEYS}
    for key, options in rules.values.items():
        if key not in expected:
            raise KnowledgeError(
                path, _line_at(data, ("values", key)), f"unknown answer key {key!r}"
            )
        for value in options:
            if value not in expected[key]:
                line = _line_at(data, ("values", key, value))
                raise KnowledgeError(path, line, f"values.{key}: unknown value {value!r}")
        missing = sorted(expected[key] - set(options))
        if missing:
            line = _line_at(data, ("values", key))
            raise KnowledgeError(path, line, f"values.{key}: no label for {missing}")
    absent = sorted(set(expected) - set(rules.values))
    if absent:
        raise KnowledgeError(path, _line_at(data, ("values",)), f"values: no labels for {absent}")


def _line_at(data: Any, loc: tuple[Any, ...]) -> int | None:
    """The line of the deepest key of `loc` that exists in the YAML tree."""
    line = data.line if isinstance(data, LineDict) else None
    node = data
    for part in loc:
        if isinstance(node, LineDict) and part in node:
            line = node.line_of(str(part))
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
            line = node.line if isinstance(node, LineDict) else line
        else:
            break
    return line


def _check_references(path: Path, data: LineDict, rules: EligibilityRules) -> None:
    """Values and topics named inside criteria must exist; text placeholders must be known."""
    c = rules.criteria
    refs: list[tuple[tuple[str, ...], str, set[str]]] = [
        (("cnnt_entity", "entity_types"), "entity_type", set(c.cnnt_entity.entity_types)),
        (("registered", "excluded"), "entity_type", set(c.registered.excluded)),
        (("site_area", "allowed"), "site_area", set(c.site_area.allowed)),
        (("site_area", "excluded"), "site_area", set(c.site_area.excluded)),
        (("sectors", "eligible"), "sector", set(c.sectors.eligible)),
        (("supports", "first_for_sector"), "sector", set(c.supports.first_for_sector)),
        (("priority_sector", "sectors"), "sector", set(c.priority_sector.sectors)),
        (("priority_sector", "hint_sectors"), "sector", set(c.priority_sector.hint_sectors)),
    ]
    for rule in ("mining_difficult_area", "trade_services", "clay_brick_kiln"):
        refs.append(((rule, "sector"), "sector", {getattr(c, rule).sector}))
    for loc, key, used in refs:
        unknown = used - set(CHOICE_VALUES[key])
        if unknown:
            line = _line_at(data, ("criteria", *loc))
            raise KnowledgeError(path, line, f"{'.'.join(loc)}: unknown {key} {sorted(unknown)}")
    areas = set(c.site_area.allowed) | set(c.site_area.excluded)
    overlap = set(c.site_area.allowed) & set(c.site_area.excluded)
    if areas != set(CHOICE_VALUES["site_area"]) or overlap:
        line = _line_at(data, ("criteria", "site_area"))
        raise KnowledgeError(path, line, "site_area: every area must be allowed or excluded")
    if not set(c.cleaner_production.supports) <= set(c.supports.topics):
        line = _line_at(data, ("criteria", "cleaner_production", "supports"))
        missing = sorted(set(c.cleaner_production.supports) - set(c.supports.topics))
        raise KnowledgeError(path, line, f"cleaner_production.supports: unknown topics {missing}")
    topics = set(c.supports.topics)
    for order in c.supports.first_for_sector.values():
        topics |= set(order)
    unknown_topics = topics - set(SUPPORT_TOPICS)
    if unknown_topics:
        line = _line_at(data, ("criteria", "supports"))
        raise KnowledgeError(path, line, f"unknown topic ids {sorted(unknown_topics)}")
    _check_placeholders(path, data, rules)


# Placeholders each text may use; the engine fills exactly these.
_PLACEHOLDERS = {
    "entity",
    "facts",
    "size",
    "max_employees",
    "max_revenue",
    "max_capital",
    "area",
    "years",
    "sector",
    "point",
    "topics",
    "min_employees",
}


def _check_placeholders(path: Path, data: LineDict, rules: EligibilityRules) -> None:
    for name in Criteria.model_fields:
        crit = getattr(rules.criteria, name)
        for field in ("text", "fail_text", "change", "hint"):
            template = getattr(crit, field, None)
            if not template:
                continue
            try:
                names = {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}
            except ValueError as exc:
                line = _line_at(data, ("criteria", name, field))
                raise KnowledgeError(path, line, f"{name}.{field}: {exc}") from None
            unknown = names - _PLACEHOLDERS
            if unknown:
                line = _line_at(data, ("criteria", name, field))
                raise KnowledgeError(
                    path, line, f"{name}.{field}: unknown placeholder {sorted(unknown)}"
                )


__all__ = ["ANSWER_KEYS", "EligibilityRules", "load_rules"]
