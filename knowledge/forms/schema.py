"""The shape of a questionnaire file: questions, their kinds, conditions and support limits."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Kind = Literal[
    "text", "choice", "number", "money", "date", "phone", "tax_code", "yes_no", "confirm"
]
STEP_ID = r"^[a-z][a-z0-9_]{0,29}$"
# Values a yes/no or confirm step stores; conditions may name them.
BOOLEAN_VALUES = ("yes", "no")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Option(_Strict):
    value: str = Field(pattern=r"^[a-z0-9_]{1,40}$")
    label: str = Field(min_length=1, max_length=60)


class Question(_Strict):
    id: str = Field(pattern=STEP_ID)
    kind: Kind
    label: str = Field(min_length=1, max_length=40)
    prompt: str = Field(min_length=1)
    help: str = Field(min_length=1)
    optional: bool = False
    personal: bool = False
    options: tuple[Option, ...] = ()
    when: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    min: float | None = None
    max: float | None = None
    not_past: bool = False
    end: bool = False
    after: str | None = None
    at_most: str | None = None
    prefill_from: str | None = None
    refusal: str | None = None
    # What code reads this step as (knowledge/forms/roles.py); checked by the loader.
    role: str | None = None
    # The summary's "Sửa" list groups steps by section; a step without one continues the
    # section of the step before it.
    section: str | None = Field(default=None, min_length=1, max_length=40)

    @model_validator(mode="after")
    def _kind_rules(self) -> Question:
        if self.kind == "choice" and len(self.options) < 2:
            raise ValueError("a choice needs at least two options")
        if self.kind != "choice" and self.options:
            raise ValueError(f"options only make sense for a choice, not {self.kind}")
        if self.kind == "confirm" and not self.refusal:
            raise ValueError("a confirm step needs a 'refusal' text (why the commitment matters)")
        if self.kind == "confirm" and self.optional:
            raise ValueError("a commitment cannot be optional")
        if self.after and self.kind != "date":
            raise ValueError("'after' only applies to dates")
        if self.at_most and self.kind != "money":
            raise ValueError("'at_most' only applies to money")
        return self

    def values(self) -> tuple[str, ...]:
        """The values this step can store, for conditions (empty: free input)."""
        if self.kind == "choice":
            return tuple(o.value for o in self.options)
        if self.kind == "yes_no":
            return BOOLEAN_VALUES
        if self.kind == "confirm":
            return ("yes",)
        return ()

    def label_of(self, value: str) -> str:
        for option in self.options:
            if option.value == value:
                return option.label
        return value


class Consent(_Strict):
    version: str = Field(min_length=1, max_length=20)
    text: str = Field(min_length=20)


class SupportLimit(_Strict):
    """A rate and cap from legal-facts.md §5.1; None where the source has no figure."""

    title: str
    rate_percent: int | None = Field(default=None, ge=1, le=100)
    cap: int | None = Field(default=None, gt=0)
    source: str
    note: str = ""


class Budget(_Strict):
    """Which steps hold the support type, the total cost and the support requested."""

    support_type: str
    total: str
    requested: str


class Form(_Strict):
    id: str = Field(pattern=STEP_ID)
    version: int = Field(ge=1)
    title: str
    consent: Consent
    steps: tuple[Question, ...]
    budget: Budget | None = None
    limits: dict[str, SupportLimit] = Field(default_factory=dict)

    def step(self, step_id: str) -> Question | None:
        return next((q for q in self.steps if q.id == step_id), None)

    def ids(self) -> list[str]:
        return [q.id for q in self.steps]

    def by_role(self, role: str) -> Question | None:
        """The step declaring `role` (knowledge/forms/roles.py), or None."""
        return next((q for q in self.steps if q.role == role), None)

    def answer(self, answers: dict[str, Any], role: str) -> Any:
        """The answer of the step declaring `role`; None when absent or no step declares it."""
        question = self.by_role(role)
        return None if question is None else answers.get(question.id)
    def sections(self) -> list[tuple[str, list[Question]]]:
        """(section title, its steps) in order; steps before any title go under the form's."""
        groups: list[tuple[str, list[Question]]] = []
        for question in self.steps:
            if question.section or not groups:
                groups.append((question.section or self.title, []))
            groups[-1][1].append(question)
        return groups
