"""Loads a questionnaire and checks its graph: unknown targets, unreachable steps, duplicates."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from knowledge.eligibility.answers import CHOICE_VALUES
from knowledge.forms.roles import ROLE_KINDS, Role
from knowledge.forms.schema import Form, Question
from knowledge.yamlfile import KnowledgeError, LineDict, line_of, load_mapping


def _first_error(exc: ValidationError) -> tuple[str | None, str]:
    error = exc.errors()[0]
    loc = [str(p) for p in error["loc"]]
    where = ".".join(loc)
    key = loc[0] if loc else None
    return key, f"{where}: {error['msg']}" if where else error["msg"]


def _line(node: Any, key: str | None) -> int | None:
    return line_of(node, key) if isinstance(node, LineDict) else None


def load_form(path: Path, required_roles: Iterable[str] = ()) -> Form:
    """Load and check a questionnaire; `required_roles` are roles code reads from this form.

    Raises KnowledgeError (file:line) on the first problem.
    """
    data = load_mapping(path, "with id, version, consent and steps")
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise KnowledgeError(path, data.line_of("steps"), "'steps' must be a non-empty list")
    steps: list[Question] = []
    for raw in raw_steps:
        try:
            steps.append(Question.model_validate(raw))
        except ValidationError as exc:
            key, msg = _first_error(exc)
            raise KnowledgeError(path, _line(raw, key), f"step: {msg}") from None
    try:
        form = Form.model_validate({**data, "steps": steps})
    except ValidationError as exc:
        key, msg = _first_error(exc)
        raise KnowledgeError(path, data.line_of(key) if key else data.line, msg) from None
    _check_graph(path, form, raw_steps, data)
    _check_roles(path, form, raw_steps, data, frozenset(required_roles))
    return form


def _check_roles(
    path: Path, form: Form, raw_steps: list[Any], data: LineDict, required: frozenset[str]
) -> None:
    declared: dict[str, str] = {}
    for question, raw in zip(form.steps, raw_steps, strict=True):
        if question.prefill_from is not None:
            _check_prefill(path, question, _line(raw, "prefill_from"))
        if question.role is None:
            continue
        line = _line(raw, "role")
        if question.role not in ROLE_KINDS:
            known = ", ".join(sorted(ROLE_KINDS))
            raise KnowledgeError(path, line, f"unknown role {question.role!r} (known: {known})")
        if question.role in declared:
            raise KnowledgeError(
                path,
                line,
                f"role {question.role!r} is declared twice "
                f"(steps {declared[question.role]!r} and {question.id!r})",
            )
        kinds = ROLE_KINDS[Role(question.role)]
        if question.kind not in kinds:
            raise KnowledgeError(
                path,
                line,
                f"role {question.role!r} needs a {' or '.join(sorted(kinds))} step, "
                f"not {question.kind}",
            )
        declared[question.role] = question.id
    missing = sorted(required - set(declared))
    if missing:
        raise KnowledgeError(
            path,
            data.line_of("steps"),
            f"no step declares the role(s) {', '.join(missing)} that the code reads "
            "(add 'role: …' to the step that asks it)",
        )


def _check_prefill(path: Path, question: Question, line: int | None) -> None:
    """`prefill_from` names an eligibility answer (SPEC §4) whose values this choice offers."""
    if question.prefill_from not in CHOICE_VALUES:
        known = ", ".join(sorted(CHOICE_VALUES))
        raise KnowledgeError(
            path,
            line,
            f"prefill_from: {question.prefill_from!r} is not an eligibility choice ({known})",
        )
    if question.kind != "choice":
        raise KnowledgeError(path, line, "prefill_from only applies to a choice step")
    offered = set(question.values())
    if not offered & set(CHOICE_VALUES[question.prefill_from]):
        raise KnowledgeError(
            path,
            line,
            f"prefill_from: no option of {question.id!r} is a value of "
            f"{question.prefill_from!r}, so nothing could be filled in",
        )


def _check_graph(path: Path, form: Form, raw_steps: list[Any], data: LineDict) -> None:
    seen: dict[str, Question] = {}
    # For each step, the values its conditions (and those of the steps they test) require.
    needs: dict[str, dict[str, set[str]]] = {}
    for question, raw in zip(form.steps, raw_steps, strict=True):
        here = _line(raw, "id")
        if question.id in seen:
            raise KnowledgeError(path, here, f"step id {question.id!r} is used twice")
        values = [o.value for o in question.options]
        if len(set(values)) != len(values):
            dup = next(v for v in values if values.count(v) > 1)
            raise KnowledgeError(path, _line(raw, "options"), f"duplicate option value {dup!r}")
        labels = [o.label for o in question.options]
        if len(set(labels)) != len(labels):
            raise KnowledgeError(path, _line(raw, "options"), "two options share one label")
        for ref_key in ("after", "at_most"):
            target = getattr(question, ref_key)
            if target is not None and target not in seen:
                raise KnowledgeError(
                    path, _line(raw, ref_key), f"{ref_key}: unknown or later step {target!r}"
                )
        needs[question.id] = _needs(path, question, _line(raw, "when"), seen, needs)
        seen[question.id] = question
    _check_budget(path, form, data)


def _needs(
    path: Path,
    question: Question,
    line: int | None,
    seen: dict[str, Question],
    needs: dict[str, dict[str, set[str]]],
) -> dict[str, set[str]]:
    combined: dict[str, set[str]] = {}

    def require(field: str, allowed: set[str]) -> None:
        combined[field] = combined.get(field, allowed) & allowed
        if not combined[field]:
            raise KnowledgeError(
                path,
                line,
                f"step {question.id!r} is unreachable: its conditions on "
                f"{field!r} can never hold together",
            )

    for field, allowed in question.when.items():
        if field not in seen:
            raise KnowledgeError(
                path, line, f"condition on unknown or later step {field!r} (unknown target)"
            )
        possible = seen[field].values()
        if not possible:
            raise KnowledgeError(
                path, line, f"condition on {field!r}, which has no fixed values to test"
            )
        bad = [v for v in allowed if v not in possible]
        if bad:
            raise KnowledgeError(path, line, f"{field!r} has no option {bad[0]!r}")
        for inherited, values in needs[field].items():
            require(inherited, values)
        require(field, set(allowed))
    return combined


def _check_budget(path: Path, form: Form, data: LineDict) -> None:
    if form.budget is None:
        if form.limits:
            raise KnowledgeError(path, data.line_of("limits"), "limits need a 'budget' section")
        return
    line = data.line_of("budget")
    kinds = {"support_type": "choice", "total": "money", "requested": "money"}
    for role, kind in kinds.items():
        step = form.step(getattr(form.budget, role))
        if step is None or step.kind != kind:
            raise KnowledgeError(path, line, f"budget.{role} must name a {kind} step")
    support = form.step(form.budget.support_type)
    assert support is not None
    for key in form.limits:
        if key not in support.values():
            raise KnowledgeError(
                path, data.line_of("limits"), f"limits: {key!r} is not a support type option"
            )
