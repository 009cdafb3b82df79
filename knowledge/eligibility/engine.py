"""Evaluates SPEC §4 answers against the rules: verdict, reasons with sources, supports, priority.

Two routes lead to support (NĐ 45/2012 Đ1 k2): a rural industrial establishment (point a: the
entity type, the SME test for enterprises, the production site) or any industrial producer that
applies cleaner production (point b: no size or area limit). Exclusions and the sector list apply
to both. Cleaner production is only asked once route a has failed, so that the dialogue asks
nothing that cannot change the verdict.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from knowledge.eligibility.answers import ANSWER_KEYS, Answers
from knowledge.eligibility.schema import Criterion, EligibilityRules
from knowledge.formatting import format_money_short

VerdictName = Literal["eligible", "not_eligible", "need_more_info"]
# The order questions are asked in, and the order of `missing`.
ASK_ORDER = (
    "entity_type",
    "employees",
    "revenue_billion",
    "capital_billion",
    "site_area",
    "sector",
    "difficult_area",
    "cleaner_production",
    "other_state_funding_same_content",
)
assert set(ASK_ORDER) == set(ANSWER_KEYS)


@dataclass(frozen=True, slots=True)
class Cited:
    text: str
    source: str

    def to_dict(self) -> dict[str, str]:
        return {"text": self.text, "source": self.source}


@dataclass
class Verdict:
    verdict: VerdictName
    reasons: list[Cited]
    missing: list[str]
    supports: list[str]
    priority: list[Cited]
    changes: list[Cited]
    optional: list[str]
    routes: list[str]
    note: str
    # "dnnvv" or "doanh_nghiep_lon" when the SME test was decided by numbers.
    enterprise: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "reasons": [r.to_dict() for r in self.reasons],
            "missing": list(self.missing),
            "supports": list(self.supports),
            "priority": [p.to_dict() for p in self.priority],
            "changes": [c.to_dict() for c in self.changes],
            "optional": list(self.optional),
            "routes": list(self.routes),
            "note": self.note,
        }


@dataclass
class _Part:
    """The outcome of one group of criteria: passed reasons, failures, changes, missing keys."""

    passed: list[Cited] = field(default_factory=list)
    failed: list[Cited] = field(default_factory=list)
    changes: list[Cited] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.failed:
            return "fail"
        return "open" if self.missing else "ok"


def _cite(crit: Criterion, text: str | None = None, **values: object) -> Cited:
    return Cited((text or crit.text).format(**values), crit.source)


def _judge_yes_no(part: _Part, rule: Criterion, answer: bool | None, key: str) -> None:
    """A criterion met by a yes: passed, failed with what to change, or missing `key`."""
    if answer is None:
        part.missing.append(key)
    elif answer:
        part.passed.append(_cite(rule))
    else:
        part.failed.append(_cite(rule, rule.fail_text))
        part.changes.append(_cite(rule, rule.change))


def _billion(value: float) -> str:
    return format_money_short(round(value * 1_000_000_000))


def _count(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}".replace(".", ",")


class _Evaluation:
    def __init__(self, rules: EligibilityRules, answers: Answers, verify_sme: bool) -> None:
        self.rules, self.a, self.c, self.verify_sme = rules, answers, rules.criteria, verify_sme
        self.enterprise: str | None = None

    def general(self) -> _Part:
        """Criteria both routes share: registered, sector, exclusions, same-content funding."""
        a, c, part = self.a, self.c, _Part()
        if a.entity_type is None:
            part.missing.append("entity_type")
        elif a.entity_type in c.registered.excluded:
            part.failed.append(_cite(c.registered))
            part.changes.append(_cite(c.registered, c.registered.change))
        if a.sector is None:
            part.missing.append("sector")
        else:
            for rule in (c.trade_services, c.clay_brick_kiln):
                if a.sector == rule.sector:
                    part.failed.append(_cite(rule))
                    part.changes.append(_cite(rule, rule.change))
            if a.sector in c.sectors.eligible:
                label = self.rules.label("sector", a.sector).lower()
                point = c.sectors.eligible[a.sector]
                part.passed.append(_cite(c.sectors, sector=label, point=point))
            if a.sector == c.mining_difficult_area.sector:
                self._mining(part)
        if a.other_state_funding_same_content:
            funding = c.other_state_funding
            part.failed.append(_cite(funding, funding.fail_text))
            part.changes.append(_cite(funding, funding.change))
        return part

    def _mining(self, part: _Part) -> None:
        _judge_yes_no(part, self.c.mining_difficult_area, self.a.difficult_area, "difficult_area")

    def cnnt(self) -> _Part:
        """Route a: a rural industrial establishment (entity type, SME test, production site)."""
        a, c, part = self.a, self.c, _Part()
        entity = a.entity_type
        if entity in ("dnnvv", "doanh_nghiep_lon"):
            self._sme(part)
        elif entity in c.cnnt_entity.entity_types:
            part.passed.append(
                _cite(c.cnnt_entity, entity=self.rules.label("entity_type", entity))
            )
        elif entity is None:
            part.missing.append("entity_type")
        site = c.site_area
        area = self.rules.label("site_area", a.site_area) if a.site_area else ""
        if a.site_area is None:
            part.missing.append("site_area")
        elif a.site_area in site.allowed:
            part.passed.append(_cite(site, area=area))
            part.passed.append(_cite(c.site_not_head_office))
            if a.site_area == "phuong_tu_xa_duoi_5_nam":
                part.passed.append(_cite(c.five_year_ward, years=c.five_year_ward.years))
        else:
            part.failed.append(_cite(site, site.fail_text, area=area))
            part.changes.append(_cite(site, site.change))
            part.changes.append(_cite(c.site_not_head_office))
        return part

    def _sme(self, part: _Part) -> None:
        a, c = self.a, self.c
        sme = c.sme_industry
        limits = {
            "max_employees": sme.max_employees,
            "max_revenue": _billion(sme.max_revenue_billion),
            "max_capital": _billion(sme.max_capital_billion),
        }
        numbers = (a.employees, a.revenue_billion, a.capital_billion)
        if all(n is None for n in numbers):
            if self.verify_sme:
                part.missing += ["employees", "revenue_billion", "capital_billion"]
            elif a.entity_type == "dnnvv":
                label = self.rules.label("entity_type", "dnnvv")
                part.passed.append(_cite(c.cnnt_entity, entity=label))
                part.passed.append(_cite(c.sme_self_declared))
            else:
                part.failed.append(_cite(c.cnnt_entity, c.cnnt_entity.fail_text))
                part.changes.append(_cite(sme, sme.change, **limits))
            return
        staff, revenue, capital = numbers
        facts = self._facts()
        finance_ok = (revenue is not None and revenue <= sme.max_revenue_billion) or (
            capital is not None and capital <= sme.max_capital_billion
        )
        finance_over = (revenue is not None and revenue > sme.max_revenue_billion) and (
            capital is not None and capital > sme.max_capital_billion
        )
        if (staff is not None and staff > sme.max_employees) or finance_over:
            self.enterprise = "doanh_nghiep_lon"
            part.failed.append(_cite(sme, sme.fail_text, facts=facts, **limits))
            part.failed.append(_cite(c.cnnt_entity, c.cnnt_entity.fail_text))
            part.changes.append(_cite(sme, sme.change, **limits))
            return
        if staff is not None and finance_ok:
            self.enterprise = "dnnvv"
            part.passed.append(
                _cite(c.cnnt_entity, entity=self.rules.label("entity_type", "dnnvv"))
            )
            part.passed.append(_cite(sme, None, facts=facts, size=self._size_name(), **limits))
            return
        if staff is None:
            part.missing.append("employees")
        if not finance_ok:
            part.missing += [
                k
                for k, v in (("revenue_billion", revenue), ("capital_billion", capital))
                if v is None
            ]

    def _facts(self) -> str:
        a, parts = self.a, []
        if a.employees is not None:
            parts.append(f"{_count(a.employees)} lao động")
        if a.revenue_billion is not None:
            parts.append(f"doanh thu {_billion(a.revenue_billion)}")
        if a.capital_billion is not None:
            parts.append(f"tổng nguồn vốn {_billion(a.capital_billion)}")
        return ", ".join(parts)

    def _size_name(self) -> str:
        a = self.a
        for size in self.c.sme_industry.sizes:
            finance = (
                a.revenue_billion is not None and a.revenue_billion <= size.revenue_billion
            ) or (a.capital_billion is not None and a.capital_billion <= size.capital_billion)
            if a.employees is not None and a.employees <= size.employees and finance:
                return size.name
        return self.c.sme_industry.sizes[-1].name

    def cleaner(self) -> _Part:
        """Route b: cleaner production, with no size or area limit (TT 46/2012 Đ3 k2)."""
        part = _Part()
        answer = self.a.cleaner_production
        _judge_yes_no(part, self.c.cleaner_production, answer, "cleaner_production")
        return part


def _ordered(keys: list[str]) -> list[str]:
    return sorted(dict.fromkeys(keys), key=ASK_ORDER.index)


def _unique(items: list[Cited]) -> list[Cited]:
    return list(dict.fromkeys(items))


def evaluate(rules: EligibilityRules, answers: Answers, *, verify_sme: bool = False) -> Verdict:
    """The verdict for these answers; `verify_sme` asks enterprises for staff and money figures
    instead of trusting their own declaration (the dialogue asks, the CLI trusts)."""
    ev = _Evaluation(rules, answers, verify_sme)
    general, route_a, route_b = ev.general(), ev.cnnt(), ev.cleaner()
    a_status, b_status = route_a.status, route_b.status

    def result(verdict: VerdictName, reasons: list[Cited], **extra: Any) -> Verdict:
        return Verdict(
            verdict=verdict,
            reasons=_unique(reasons),
            missing=extra.get("missing", []),
            supports=extra.get("supports", []),
            priority=extra.get("priority", []),
            changes=_unique(extra.get("changes", [])),
            optional=extra.get("optional", []),
            routes=extra.get("routes", []),
            note=rules.note,
            enterprise=ev.enterprise,
        )

    if general.failed:
        reasons = general.failed + (route_a.failed if a_status == "fail" else [])
        return result("not_eligible", reasons, changes=general.changes)
    if general.missing or not (a_status == "ok" or b_status == "ok"):
        if a_status == "fail" and b_status == "fail":
            return result(
                "not_eligible",
                route_a.failed + route_b.failed,
                changes=route_a.changes + route_b.changes,
            )
        missing = list(general.missing)
        if a_status == "open" and b_status != "ok":
            missing += route_a.missing
        if a_status == "fail" and b_status == "open":
            missing += route_b.missing
        passed = general.passed + route_a.passed + route_b.passed
        return result("need_more_info", route_a.failed + passed, missing=_ordered(missing))
    return _eligible(rules, answers, general, route_a, route_b, result)


def _eligible(
    rules: EligibilityRules,
    answers: Answers,
    general: _Part,
    route_a: _Part,
    route_b: _Part,
    result: Callable[..., Verdict],
) -> Verdict:
    c = rules.criteria
    funding = c.other_state_funding
    reasons: list[Cited] = []
    changes: list[Cited] = []
    optional: list[str] = []
    routes: list[str] = []
    if route_a.status == "ok":
        routes.append("cnnt")
        reasons += route_a.passed
        supports = _supports_for(rules, answers.sector)
        priority = _priority(rules, answers)
        changes.append(_cite(c.priority_products))
        if answers.sector in c.priority_sector.hint_sectors and c.priority_sector.hint:
            changes.append(Cited(c.priority_sector.hint, c.priority_sector.source))
        if answers.difficult_area is None:
            optional.append("difficult_area")
    else:
        supports = list(c.cleaner_production.supports)
        priority = [_cite(c.priority_cleaner_production)]
    if route_b.status == "ok":
        routes.append("san_xuat_sach_hon")
        reasons += route_b.passed
    reasons += general.passed
    labels = "; ".join(c.supports.topics[t].label.lower() for t in supports)
    reasons.append(_cite(c.supports, topics=labels))
    reasons.append(_cite(funding))
    if answers.other_state_funding_same_content is None:
        optional.append("other_state_funding_same_content")
        changes.insert(0, _cite(funding, funding.fail_text))
    return result(
        "eligible",
        reasons,
        supports=supports,
        priority=priority,
        changes=changes,
        optional=optional,
        routes=routes,
    )


def _supports_for(rules: EligibilityRules, sector: str | None) -> list[str]:
    topics = rules.criteria.supports
    first = topics.first_for_sector.get(sector or "", [])
    return list(dict.fromkeys([*first, *topics.topics]))


def _priority(rules: EligibilityRules, a: Answers) -> list[Cited]:
    c, out = rules.criteria, []
    if a.difficult_area:
        out.append(_cite(c.priority_area))
    if a.sector in c.priority_sector.sectors:
        label = rules.label("sector", a.sector).lower()
        out.append(_cite(c.priority_sector, sector=label))
    elif a.cleaner_production:
        out.append(
            _cite(
                c.priority_sector,
                sector=rules.label("sector", "san_xuat_sach_hon_xu_ly_o_nhiem").lower(),
            )
        )
    if a.employees is not None and a.employees >= c.priority_labour.min_employees:
        out.append(_cite(c.priority_labour, min_employees=c.priority_labour.min_employees))
    return out
