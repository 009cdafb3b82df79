"""How the eligibility dialogue looks: question replies with buttons, summaries and the verdict."""

from __future__ import annotations

from typing import Any

from handlers.context import Context
from handlers.menu import menu_button
from handlers.messages import Button, Reply
from knowledge.citations import readable
from knowledge.eligibility import ASK_ORDER, EligibilityRules, Verdict
from knowledge.eligibility.answers import BOOLEAN_KEYS, CHOICE_VALUES, NUMBER_KEYS
from knowledge.eligibility.engine import Cited
from knowledge.eligibility.reading import ENTERPRISE
from knowledge.formatting import format_money_short
from knowledge.topics import STATUS_KEYS, status_text

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
    return Reply(text, tuple(buttons), expects="number" if key in NUMBER_KEYS else "")


# The verdict's first message must fit a phone screen; reasons and sources go behind
# "Xem chi tiết" (issue 15).
RESULT_FIRST_MAX = 900


def result_reply(ctx: Context, rules: EligibilityRules, verdict: Verdict) -> Reply:
    """The verdict in a few lines (≤ RESULT_FIRST_MAX characters) with its buttons; the
    reasons, priorities and what could change the result are in `result_details`."""
    lines = [ctx.text(f"elig.result.{verdict.verdict}", missing=", ".join(verdict.missing))]
    if verdict.priority:
        lines.append(ctx.text("elig.result.priority_count", count=len(verdict.priority)))
    topics = rules.criteria.supports.topics
    buttons = [Button(topics[t].label, f"faq:t:{t}") for t in verdict.supports]
    if verdict.verdict == "eligible":
        lines.append(ctx.text("elig.result.supports"))
        buttons.append(Button(ctx.text("elig.btn.draft"), "intake:from_elig"))
    else:
        buttons.append(Button(ctx.text("officer.ask_button"), "officer:ask"))  # hand-off
    # The full note and the status of each text are behind "Xem chi tiết" (result_details).
    note = ctx.text("elig.result.short_note")
    if verdict.verdict == "not_eligible":
        # Why not, and what would change it, as far as the screen allows.
        budget = RESULT_FIRST_MAX - len(note) - sum(len(line) + 1 for line in lines) - 1
        for line in _cited_lines(ctx, rules, verdict, ("reasons", "changes")):
            if len(line) + 1 > budget:
                break
            lines.append(line)
            budget -= len(line) + 1
    lines.append(note)
    text = "\n".join(lines)
    if len(text) > RESULT_FIRST_MAX:
        text = text[: RESULT_FIRST_MAX - 1].rsplit(" ", 1)[0] + "…"
    buttons += [
        Button(ctx.text("elig.btn.details"), "elig:details"),
        Button(ctx.text("elig.btn.back"), "elig:back"),
        Button(ctx.text("elig.btn.again"), "elig:restart"),
        menu_button(ctx),
    ]
    return Reply(text, tuple(buttons))


def _cited_lines(
    ctx: Context, rules: EligibilityRules, verdict: Verdict, parts: tuple[str, ...]
) -> list[str]:
    """A title line then one "• text (source)" line per cited fact, for each part."""
    # The support list is shown as buttons; repeating it as a reason only lengthens the screen.
    reasons = [r for r in verdict.reasons if r.source != rules.criteria.supports.source]
    cited_by = {"reasons": reasons, "priority": verdict.priority, "changes": verdict.changes}
    lines: list[str] = []
    for part in parts:
        if cited_by[part]:
            lines.append(ctx.text(f"elig.result.{part}"))
            lines += [
                ctx.text("elig.result.item", text=c.text, source=readable(c.source))
                for c in cited_by[part]
            ]
    return lines


def result_details(ctx: Context, rules: EligibilityRules, verdict: Verdict) -> Reply:
    """Why: the cited reasons, priorities and changes behind the verdict, with sources."""
    lines = [ctx.text("elig.result.details_title")]
    lines += _cited_lines(ctx, rules, verdict, ("reasons", "priority", "changes"))
    # The legal status of the texts behind the verdict, in plain words (issue 12).
    reasons = [r for r in verdict.reasons if r.source != rules.criteria.supports.source]
    status = status_text(ctx.kb.ui, _statuses(rules, [*reasons, *verdict.priority]))
    lines.append(status or ctx.text("elig.result.note", note=verdict.note))
    buttons = [Button(ctx.text("elig.btn.draft"), "intake:from_elig")] * (
        verdict.verdict == "eligible"
    )
    buttons += [Button(ctx.text("elig.btn.again"), "elig:restart"), menu_button(ctx)]
    return Reply("\n".join(lines), tuple(buttons))


def _statuses(rules: EligibilityRules, cited: list[Cited]) -> list[str]:
    """The legal_status keys of the criteria behind the cited reasons, in STATUS_KEYS order."""
    criteria = [getattr(rules.criteria, name) for name in type(rules.criteria).model_fields]
    by_source: dict[str, list[str]] = {}
    for criterion in criteria:
        by_source.setdefault(criterion.source, []).extend(criterion.legal_status)
    found = {s for c in cited for s in by_source.get(c.source, [])}
    if len(found) > 1:
        found.discard("in_force")
    return [s for s in STATUS_KEYS if s in found]
