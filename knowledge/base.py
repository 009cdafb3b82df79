"""The loaded knowledge base: one object holding every validated data file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from knowledge.eligibility import EligibilityRules, load_rules
from knowledge.ui import UiTexts, load_ui

KNOWLEDGE_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class KnowledgeBase:
    ui: UiTexts
    province: str | None = None
    eligibility: EligibilityRules | None = None

    def counts(self) -> dict[str, int]:
        counts = {"ui_texts": len(self.ui)}
        if self.eligibility is not None:
            counts["eligibility_criteria"] = self.eligibility.criteria_count
        return counts

    def contact_text(self) -> str:
        return self.ui.text("contact.generic")


def load_knowledge(root: Path | None = None, province: str | None = None) -> KnowledgeBase:
    """Load and validate everything; raises KnowledgeError (file:line) on the first problem."""
    root = root or KNOWLEDGE_DIR
    return KnowledgeBase(
        ui=load_ui(root / "ui"),
        province=province,
        eligibility=load_rules(root / "rules" / "eligibility.yaml"),
    )
