"""The loaded knowledge base: one object holding every validated data file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from knowledge.answers import AnswerResult, QuestionAnswerer, render_topic
from knowledge.eligibility import EligibilityRules, load_rules
from knowledge.forms.loader import load_form
from knowledge.forms.roles import INTAKE_ROLES
from knowledge.forms.schema import Form
from knowledge.lexicon import LexiconData, load_lexicon
from knowledge.officer_desk import OfficerDesk, load_desk
from knowledge.provinces import CONTACT_FIELDS, Province, load_provinces
from knowledge.reminder_policy import ReminderPolicy, load_policy
from knowledge.templates.de_an import DeAnTemplate, load_template
from knowledge.topics import MAX_MORE_PAGE, TELEGRAM_LIMIT, TopicSet, load_topics
from knowledge.ui import UiTexts, load_ui
from knowledge.yamlfile import KnowledgeError

KNOWLEDGE_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class KnowledgeBase:
    """Everything under knowledge/, loaded and validated by `load_knowledge` (all of it, always);
    `province` is the BOT_PROVINCE overlay in use, if any."""

    ui: UiTexts
    topics: TopicSet
    lexicon: LexiconData
    provinces: dict[str, Province]
    qa: QuestionAnswerer
    eligibility: EligibilityRules
    intake_form: Form
    de_an: DeAnTemplate
    reminders: ReminderPolicy
    province: str | None = None
    desk: OfficerDesk | None = None  # knowledge/officer/desk.yaml (hand-off to officers)

    def counts(self) -> dict[str, int]:
        return {
            "ui_texts": len(self.ui),
            "topics": len(self.topics),
            "example_phrasings": sum(len(t.examples) for t in self.topics),
            "out_of_scope_subjects": len(self.lexicon.out_of_scope),
            "abbreviations": len(self.lexicon.lexicon.abbreviations),
            "provinces": len(self.provinces),
            "eligibility_criteria": self.eligibility.criteria_count,
            "intake_questions": len(self.intake_form.steps),
            "de_an_sections": len(self.de_an.sections),
        }

    @property
    def province_info(self) -> Province | None:
        return self.provinces.get(self.province) if self.province else None

    def answer(self, question: str) -> AnswerResult:
        """Answer one question (SPEC §1 `ask`); the chat's faq capability uses the same call."""
        return self.qa.answer(question)

    def contact_text(self) -> str:
        info = self.province_info
        if info is None:
            return self.ui.text("contact.generic")
        known = [
            f"{self.ui.text(f'contact.field.{name}')}: {info.contacts[name]}"
            for name in CONTACT_FIELDS
            if info.contacts.get(name)
        ]
        missing = self.ui.text("contact.province_missing", province=info.name, agency=info.agency)
        details = "\n".join(
            [*known, *([] if len(known) == len(CONTACT_FIELDS) else [missing])]
            + [self.ui.text("contact.province_regulation", regulation=info.regulation)]
        )
        centre = self.ui.text("contact.province_centre", centre=info.centre) if info.centre else ""
        return self.ui.text(
            "contact.province",
            province=info.name,
            agency=info.agency,
            centre=centre,
            details=details,
        )


def _check_lengths(topics: TopicSet, ui: UiTexts, provinces: dict[str, Province]) -> None:
    """Every answer, with any province's note, must fit one Telegram message."""
    for overlay in (None, *provinces.values()):
        for topic in topics:
            size = len(render_topic(topic, ui, overlay))
            if size > TELEGRAM_LIMIT:
                where = f" with province {overlay.code}" if overlay else ""
                raise KnowledgeError(
                    topic.path,
                    topic.line,
                    f"{topic.id}: answer{where} has {size} characters, more than one message "
                    f"({TELEGRAM_LIMIT}); move text to 'more' (≤ {MAX_MORE_PAGE} each)",
                )


def load_knowledge(root: Path | None = None, province: str | None = None) -> KnowledgeBase:
    """Load and validate everything; raises KnowledgeError (file:line) on the first problem."""
    root = root or KNOWLEDGE_DIR
    ui = load_ui(root / "ui")
    lexicon = load_lexicon(root / "lexicon")
    topics = load_topics(root / "topics")
    provinces = load_provinces(root / "provinces", [t.id for t in topics])
    if province and province not in provinces:
        raise KnowledgeError(
            root / "provinces", None, f"BOT_PROVINCE={province!r}: no file {province}.yaml"
        )
    _check_lengths(topics, ui, provinces)
    qa = QuestionAnswerer(topics, lexicon, ui, provinces.get(province) if province else None)
    intake_form = load_form(root / "forms" / "intake.yaml", INTAKE_ROLES)
    return KnowledgeBase(
        ui=ui,
        province=province,
        topics=topics,
        lexicon=lexicon,
        provinces=provinces,
        qa=qa,
        eligibility=load_rules(root / "rules" / "eligibility.yaml"),
        intake_form=intake_form,
        de_an=load_template(root / "templates" / "de_an.yaml", set(intake_form.ids())),
        reminders=load_policy(root / "reminders" / "policy.yaml"),
        desk=load_desk(desk) if (desk := root / "officer" / "desk.yaml").exists() else None,
    )
