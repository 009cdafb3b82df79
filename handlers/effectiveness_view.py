"""How the effectiveness report reads: Vietnamese text (chat, CLI) and a JSON object (CLI).

The figures come from knowledge.followup.effectiveness; this module only words and shapes
them: money "1.500.000 đồng" / "1,5 tỷ đồng", dates dd/mm/yyyy, ratios with one decimal and a
comma, percentages only where the computation gave one (≥ 3 establishments).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from knowledge import KnowledgeBase
from knowledge.followup.effectiveness import (
    MIN_ESTABLISHMENTS,
    BeforeAfter,
    EffectivenessReport,
    EstablishmentRow,
    GroupFigures,
)
from knowledge.formatting import format_date, format_money_short, group_digits
from knowledge.ui import UiTexts

LEVERAGE_FORMULA = "vốn đối ứng ÷ hỗ trợ nhà nước"
_NAMES_SHOWN = 10


@dataclass(frozen=True, slots=True)
class Labels:
    """Display names of the group codes (province, support type, sector)."""

    provinces: dict[str, str] = field(default_factory=dict)
    support_types: dict[str, str] = field(default_factory=dict)
    sectors: dict[str, str] = field(default_factory=dict)

    def province(self, code: str | None) -> str:
        return self.provinces.get(code or "", code or "")

    def support_type(self, code: str | None) -> str:
        return self.support_types.get(code or "", code or "")

    def sector(self, code: str | None) -> str:
        return self.sectors.get(code or "", code or "")


def labels_of(kb: KnowledgeBase) -> Labels:
    form = kb.intake_form

    def options(step: str) -> dict[str, str]:
        question = form.step(step) if form else None
        return {o.value: o.label for o in question.options} if question else {}

    return Labels(
        provinces={code: p.short_name for code, p in kb.provinces.items()},
        support_types=options("support_type"),
        sectors=options("sector"),
    )


def decimal_vi(value: float, digits: int = 1) -> str:
    """7.025 → "7,0"; thousands grouped with dots."""
    text = f"{value:,.{digits}f}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".")


def percent_vi(value: float) -> str:
    sign = "+" if value > 0 else ""
    return f"{sign}{decimal_vi(value)}%"


def _names(ui: UiTexts, names: tuple[str, ...]) -> str:
    if len(names) <= _NAMES_SHOWN:
        return ", ".join(names)
    shown = ", ".join(names[:_NAMES_SHOWN])
    return ui.text("report.more_names", names=shown, more=len(names) - _NAMES_SHOWN)


def _basis(ui: UiTexts, pair: BeforeAfter) -> str:
    key = "report.basis" if pair.n >= MIN_ESTABLISHMENTS else "report.basis_few"
    return ui.text(key, count=pair.n)


def _change(pair: BeforeAfter, difference: str) -> str:
    percent = pair.change_percent
    return difference if percent is None else f"{difference}, {percent_vi(percent)}"


def _signed(text: str, value: float) -> str:
    return f"+{text}" if value > 0 else (f"−{text.lstrip('-')}" if value < 0 else text)


def _money_lines(ui: UiTexts, figures: GroupFigures) -> list[str]:
    own, state = format_money_short(figures.own_capital), format_money_short(figures.state_support)
    lines = [ui.text("report.money", state=state, own=own)]
    if figures.leverage is None:
        return [*lines, ui.text("report.leverage_none")]
    ratio, count = decimal_vi(figures.leverage), figures.establishments
    return [*lines, ui.text("report.leverage", own=own, state=state, ratio=ratio, count=count)]


def _pair_line(ui: UiTexts, key: str, pair: BeforeAfter) -> str:
    """Jobs (people), average wage or total revenue (money) before → after, with its basis."""
    if not pair.n:
        return ui.text("report.no_pairs", what=ui.text(f"report.what_{key}"))
    if key == "jobs":
        before, after = pair.before, pair.after
        shown = group_digits
    else:
        average = key == "wage"
        before = round(pair.before / pair.n) if average else pair.before
        after = round(pair.after / pair.n) if average else pair.after
        shown = format_money_short
    diff = _signed(shown(abs(after - before)), after - before)
    return ui.text(
        f"report.{key}",
        before=shown(before),
        after=shown(after),
        change=_change(pair, diff),
        basis=_basis(ui, pair),
    )


def _response_line(ui: UiTexts, figures: GroupFigures) -> str:
    if not figures.asked:
        return ui.text("report.response_none")
    values = {
        "answered": figures.answered,
        "asked": figures.asked,
        "count": figures.asked_establishments,
    }
    if figures.response_rate is None:
        return ui.text("report.response_few", **values)
    rate = percent_vi(figures.response_rate).lstrip("+")
    return ui.text("report.response", rate=rate, **values)


def group_lines(ui: UiTexts, figures: GroupFigures) -> list[str]:
    """The bullet lines of one group (the total or one province, support type, sector)."""
    lines = _money_lines(ui, figures)
    lines += [
        _pair_line(ui, "jobs", figures.jobs),
        _pair_line(ui, "wage", figures.wage),
        _pair_line(ui, "revenue", figures.revenue),
        _response_line(ui, figures),
    ]
    for key, names in (
        ("report.stopped", figures.stopped),
        ("report.not_answering", figures.not_answering),
        ("report.refused", figures.refused),
    ):
        if names:
            lines.append(ui.text(key, count=len(names), names=_names(ui, names)))
    return lines


def scope_line(ui: UiTexts, report: EffectivenessReport, labels: Labels, today: date) -> str:
    province = (
        ui.text("report.province", name=labels.province(report.province))
        if report.province
        else ui.text("report.all_provinces")
    )
    year = ui.text("report.year", year=report.year) if report.year else ui.text("report.all_years")
    return ui.text("report.scope", province=province, year=year, today=format_date(today))


def render_sections(
    ui: UiTexts, report: EffectivenessReport, labels: Labels, today: date
) -> list[str]:
    """The report as text blocks (title and total, then one block per breakdown)."""
    head = [ui.text("report.title"), scope_line(ui, report, labels, today)]
    if not report.rows:
        return ["\n".join([*head, ui.text("report.empty")])]
    total = report.total
    blocks = [
        "\n".join(
            [*head, "", ui.text("report.total", count=total.establishments)]
            + group_lines(ui, total)
        )
    ]
    for title, groups, label in (
        ("report.by_province", report.by_province, labels.province),
        ("report.by_support_type", report.by_support_type, labels.support_type),
        ("report.by_sector", report.by_sector, labels.sector),
    ):
        lines = [ui.text(title)]
        for group in groups:
            name = label(group.key) or ui.text("report.unknown")
            lines.append(ui.text("report.group", label=name, count=group.establishments))
            lines += group_lines(ui, group)
        blocks.append("\n".join(lines))
    blocks.append(ui.text("report.note"))
    return blocks


def render_text(ui: UiTexts, report: EffectivenessReport, labels: Labels, today: date) -> str:
    return "\n\n".join(render_sections(ui, report, labels, today))


def _pair_json(pair: BeforeAfter, average: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {"establishments": pair.n, "before": pair.before, "after": pair.after}
    if average:
        data["average_before"] = pair.average_before
        data["average_after"] = pair.average_after
    data["change_percent"] = pair.change_percent
    return data


def group_json(figures: GroupFigures, label: str) -> dict[str, Any]:
    return {
        "key": figures.key or None,
        "label": label,
        "establishments": figures.establishments,
        "state_support": figures.state_support,
        "own_capital": figures.own_capital,
        "leverage": {
            "value": figures.leverage,
            "formula": LEVERAGE_FORMULA,
            "own_capital": figures.own_capital,
            "state_support": figures.state_support,
            "establishments": figures.establishments,
        },
        "jobs": _pair_json(figures.jobs),
        "wage": _pair_json(figures.wage, average=True),
        "revenue": _pair_json(figures.revenue),
        "checkins": {
            "asked": figures.asked,
            "answered": figures.answered,
            "establishments_asked": figures.asked_establishments,
            "response_rate_percent": figures.response_rate,
        },
        "stopped": list(figures.stopped),
        "not_answering": list(figures.not_answering),
        "refused": list(figures.refused),
    }


def row_json(row: EstablishmentRow, labels: Labels) -> dict[str, Any]:
    latest = row.latest_answer()
    return {
        "support_id": row.support_id,
        "establishment": row.establishment,
        "province": row.province,
        "support_type": row.support_type,
        "support_type_label": labels.support_type(row.support_type),
        "sector": row.sector,
        "state_support": row.state_support,
        "own_capital": row.own_capital,
        "completed_on": format_date(row.completed_on),
        "workers_before": row.baseline.get("workers"),
        "workers_after": row.after("workers"),
        "wage_before": row.baseline.get("wage"),
        "wage_after": row.after("wage"),
        "revenue_before": row.baseline.get("revenue"),
        "revenue_after": row.after("revenue"),
        "operating": latest.answers.get("operating") if latest else None,
        "checkins_asked": sum(1 for c in row.checkins if c.asked),
        "checkins_answered": sum(1 for c in row.checkins if c.answered),
        "refused": row.refused,
    }


def report_json(report: EffectivenessReport, labels: Labels, today: date) -> dict[str, Any]:
    """One JSON object (SPEC §1 `report effectiveness --format json`); money in đồng."""
    return {
        "report": "effectiveness",
        "province": report.province,
        "year": report.year,
        "generated_on": format_date(today),
        "min_establishments_for_percent": MIN_ESTABLISHMENTS,
        "leverage_formula": LEVERAGE_FORMULA,
        "total": group_json(report.total, "Tổng cộng"),
        "by_province": [group_json(g, labels.province(g.key)) for g in report.by_province],
        "by_support_type": [
            group_json(g, labels.support_type(g.key)) for g in report.by_support_type
        ],
        "by_sector": [group_json(g, labels.sector(g.key)) for g in report.by_sector],
        "establishments": [row_json(r, labels) for r in report.rows],
    }
