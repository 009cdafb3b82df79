"""How the eligibility dialogue looks: question replies with buttons, summaries and the verdict."""

from __future__ import annotations

from typing import Any

from handlers.context import Context
from handlers.menu import menu_button
from handlers.messages import Button, Reply
from knowledge.eligibility import ASK_ORDER, EligibilityRules, Verdict
from knowledge.eligibility.answers import BOOLEAN_KEYS, CHOICE_VALUES, NUMBER_KEYS
from knowledge.eligibility.reading import ENTERPRISE
from knowledge.formatting import format_money_short

# Entity buttons: the two enterprise sizes share one button; the size is asked afterwards.
_ENTITY_BUTTONS = ("ho_kinh_doanh", "htx", "to_hop_tac", ENTERPRISE, "chua_dang_ky")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}".replace(".", ",")


def _billion(value: float) -> str:
    return format_money_short(round(value * 1_000_000_000))


def _capital(label: str) -> str:
    return label[:1].upper() + label[1:]


def display(ctx: Context, rules: EligibilityRules, key: str, value: Any) -> str:
    if key in BOOLEAN_KEYS:
        return ctx.text("elig.yes") if value else ctx.text("elig.no")
    if key == "employees":
        return ctx.text("elig.people", count=_number(value))
    if key in NUMBER_KEYS:
        return _billion(value)
    if key == "entity_type" and value == ENTERPRISE:
        return ctx.text("elig.enterprise")
    return rules.label(key, value)


def summary(ctx: Context, rules: EligibilityRules, answers: dict[str, Any]) -> str:
    lines = [
        ctx.text(
            "elig.summary_line",
            name=ctx.text(f"elig.key.{key}"),
            value=display(ctx, rules, key, answers[key]),
        )
        for key in ASK_ORDER
        if answers.get(key) is not None
    ]
    return "\n".join(lines)


def _options(ctx: Context, rules: EligibilityRules, key: str) -> list[Button]:
    if key == "entity_type":
        return [Button(display(ctx, rules, key, v), f"elig:a:{key}:{v}") for v in _ENTITY_BUTTONS]
    if key in CHOICE_VALUES:
        return [
            Button(_capital(rules.label(key, v)), f"elig:a:{key}:{v}") for v in CHOICE_VALUES[key]
        ]
    if key in BOOLEAN_KEYS:
        return [Button(rules.label(key, raw), f"elig:a:{key}:{raw}") for raw in ("true", "false")]
    return [
        Button(option.label, f"elig:a:{key}:{_number(option.value)}")
        for option in rules.ranges[key]
    ]


def ask_reply(ctx: Context, rules: EligibilityRules, key: str, answers: dict[str, Any]) -> Reply:
    if key == "sector":
        examples = [
            ctx.text("elig.q.sector_example", examples=info.examples, label=info.label.lower())
            for info in rules.values["sector"].values()
            if info.examples
        ]
        text = "\n".join([ctx.text("elig.q.sector"), *examples])
    elif key == "capital_billion":
        max_revenue = _billion(rules.criteria.sme_industry.max_revenue_billion)
        text = ctx.text("elig.q.capital_billion", max_revenue=max_revenue)
    elif key == "difficult_area" and answers.get("sector") == "khai_khoang_vung_kho_khan":
        text = ctx.text("elig.q.difficult_area_mining")
    else:
        text = ctx.text(f"elig.q.{key}")
    buttons = [*_options(ctx, rules, key), Button(ctx.text("elig.btn.back"), "elig:back")]
    return Reply(text, tuple(buttons))


def result_reply(ctx: Context, rules: EligibilityRules, verdict: Verdict) -> Reply:
    item = "elig.result.item"
    lines = [ctx.text(f"elig.result.{verdict.verdict}", missing=", ".join(verdict.missing))]
    # The support list is shown as buttons; repeating it as a reason only lengthens the screen.
    reasons = [r for r in verdict.reasons if r.source != rules.criteria.supports.source]
    sections = (
        ("elig.result.reasons", reasons),
        ("elig.result.priority", verdict.priority),
        ("elig.result.changes", verdict.changes),
    )
    for title, cited in sections:
        if cited:
            lines.append(ctx.text(title))
            lines += [ctx.text(item, text=c.text, source=c.source) for c in cited]
    topics = rules.criteria.supports.topics
    buttons = [Button(topics[t].label, f"faq:t:{t}") for t in verdict.supports]
    if verdict.verdict == "eligible":
        lines.append(ctx.text("elig.result.supports"))
        buttons.append(Button(ctx.text("elig.btn.draft"), "intake:from_elig"))
    else:
        buttons.append(Button(ctx.text("officer.ask_button"), "officer:ask"))  # hand-off
    lines.append(ctx.text("elig.result.note", note=verdict.note))
    buttons += [
        Button(ctx.text("elig.btn.back"), "elig:back"),
        Button(ctx.text("elig.btn.again"), "elig:restart"),
        menu_button(ctx),
    ]
    return Reply("\n".join(lines), tuple(buttons))
