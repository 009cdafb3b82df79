"""The loaded knowledge base: one object holding every validated data file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from knowledge.eligibility import EligibilityRules, load_rules
from knowledge.forms.loader import load_form
from knowledge.forms.schema import Form
from knowledge.templates.de_an import DeAnTemplate, load_template
from knowledge.ui import UiTexts, load_ui

KNOWLEDGE_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class KnowledgeBase:
    ui: UiTexts
    province: str | None = None
    eligibility: EligibilityRules | None = None
    intake_form: Form | None = None
    de_an: DeAnTemplate | None = None

    def counts(self) -> dict[str, int]:
        counts = {"ui_texts": len(self.ui)}
        if self.eligibility is not None:
            counts["eligibility_criteria"] = self.eligibility.criteria_count
        if self.intake_form is not None:
            counts["intake_questions"] = len(self.intake_form.steps)
        if self.de_an is not None:
            counts["de_an_sections"] = len(self.de_an.sections)
        return counts

    def contact_text(self) -> str:
        return self.ui.text("contact.generic")


def load_knowledge(root: Path | None = None, province: str | None = None) -> KnowledgeBase:
    """Load and validate everything; raises KnowledgeError (file:line) on the first problem."""
    root = root or KNOWLEDGE_DIR
    intake_form = load_form(root / "forms" / "intake.yaml")
    return KnowledgeBase(
        ui=load_ui(root / "ui"),
        province=province,
        eligibility=load_rules(root / "rules" / "eligibility.yaml"),
        intake_form=intake_form,
        de_an=load_template(root / "templates" / "de_an.yaml", set(intake_form.ids())),
    )
