"""The loaded knowledge base: one object holding every validated data file."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from knowledge.answers import AnswerResult, QuestionAnswerer, render_topic
from knowledge.diacritics import DiacriticRestorer, load_restorer
from knowledge.eligibility import EligibilityRules, load_rules
from knowledge.followup import Followup, load_followup
from knowledge.forms.loader import load_form
from knowledge.forms.roles import INTAKE_ROLES
from knowledge.forms.schema import Form
from knowledge.lexicon import LexiconData, load_lexicon
from knowledge.officer_desk import OfficerDesk, load_desk
from knowledge.province_names import ProvinceNames, province_note
from knowledge.provinces import CONTACT_FIELDS, PROVINCE_CODES, Province, load_provinces
from knowledge.reminder_policy import ReminderPolicy, load_policy
from knowledge.search.models import AnswerModels, knowledge_hash, load_or_build
from knowledge.templates.de_an import DeAnTemplate, load_template
from knowledge.topics import MAX_MORE_PAGE, TELEGRAM_LIMIT, Topic, TopicSet, load_topics
from knowledge.ui import UiTexts, load_ui
from knowledge.yamlfile import KnowledgeError

KNOWLEDGE_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class KnowledgeBase:
    """Everything under knowledge/, loaded and validated by `load_knowledge` (all of it, always);
    `province` is the BOT_PROVINCE overlay in use, if any; `root` the folder it came from."""

    ui: UiTexts
    topics: TopicSet
    lexicon: LexiconData
    provinces: dict[str, Province]
    qa: QuestionAnswerer
    eligibility: EligibilityRules
    intake_form: Form
    de_an: DeAnTemplate
    reminders: ReminderPolicy
    places: ProvinceNames
    followup: Followup
    restorer: DiacriticRestorer  # the journey's (owner text offered back with diacritics)
    province: str | None = None
    root: Path = KNOWLEDGE_DIR
    desk: OfficerDesk | None = None  # knowledge/officer/desk.yaml (hand-off to officers)
    # Digest of the officers' examples merged in by `with_examples` ("" for the files alone):
    # part of the answer models' key, so a build with them never passes for one without.
    examples_key: str = ""

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
            "checkin_questions": len(self.followup.form.steps),
            "checkin_offsets": len(self.followup.schedule.offsets_months),
        }

    @property
    def province_info(self) -> Province | None:
        return self.provinces.get(self.province) if self.province else None

    def answer(self, question: str) -> AnswerResult:
        """Answer one question (SPEC §1 `ask`); the chat's faq capability uses the same call."""
        result = self.qa.answer(question)
        note = self.province_note(question)
        return replace(result, answer=f"{note}\n\n{result.answer}") if note else result

    def province_note(self, text: str) -> str:
        """The sentence naming the new province of each old one in `text` ("" if none)."""
        return province_note(self.places, self.ui, text)

    def with_examples(self, extra: Mapping[str, Sequence[str]]) -> KnowledgeBase:
        """A new knowledge base whose topics also have these example phrasings (officers'
        assignments, topic id → texts; unknown topics are skipped); `self` is unchanged.
        Those exact questions are answered with their topic at once (QuestionAnswerer.pin);
        its answer models, trained with them, are built by `prepare_answering`."""
        known = {t: list(texts) for t, texts in sorted(extra.items()) if t in self.topics}
        if not any(known.values()):
            return self
        topics = {
            t.id: replace(t, examples=tuple(dict.fromkeys((*t.examples, *known.get(t.id, ())))))
            for t in self.topics
        }
        topic_set = TopicSet(topics)
        qa = QuestionAnswerer(topic_set, self.lexicon, self.ui, self.province_info)
        qa.pin(known)
        digest = hashlib.sha256(json.dumps(known, ensure_ascii=False).encode()).hexdigest()
        return replace(self, topics=topic_set, qa=qa, examples_key=digest[:12])

    def prepare_answering(
        self,
        directory: Path,
        use_dense: bool = True,
        rebuild: bool = False,
        background: bool = False,
    ) -> AnswerModels:
        """Load (or build once, then save) the answer models for this version of the files
        under `root` into `directory`, and answer by the voters' agreement from now on.
        `background`: a missing dense part is built in a thread and joins when ready."""
        qa = self.qa
        key = knowledge_hash(self.root)
        models = load_or_build(
            directory,
            f"{key}.{self.examples_key}" if self.examples_key else key,
            qa.training_set,
            lambda text: qa.normaliser.normalise(text).terms,
            qa.normaliser.syllables,
            use_dense=use_dense,
            rebuild=rebuild,
            on_dense_ready=qa.use_models if background else None,
        )
        qa.use_models(models)
        return models

    def contact_text(self) -> str:
        """ "Liên hệ cán bộ": the configured province's agency, unit and contacts where a
        source gives them, otherwise where to look (never an invented number)."""
        info = self.province_info
        if info is None:
            return self.ui.text("contact.generic")
        ui = self.ui
        known = [
            f"{ui.text(f'contact.field.{name}')}: {info.contacts[name]}"
            for name in CONTACT_FIELDS
            if info.contacts.get(name)
        ]
        lines = []
        if info.merged:
            members = ", ".join(o.name for o in info.merged_from)
            lines.append(ui.text("contact.merged", province=info.display, members=members))
        if info.centre:
            lines.append(ui.text("contact.centre_source", source=info.centre_source))
        else:
            lines.append(ui.text("contact.centre_unknown", agency=info.agency))
        lines += known
        if len(known) < len(CONTACT_FIELDS):
            lines.append(
                ui.text("contact.province_missing", province=info.display, agency=info.agency)
            )
        lines.append(ui.text("contact.commune"))
        if info.regulation:
            lines.append(ui.text("contact.province_regulation", regulation=info.regulation))
            lines.append(info.regulation_status)
        elif info.local_rates:
            lines.append(info.local_rates)
        else:
            lines.append(
                ui.text("contact.no_regulation", province=info.display, agency=info.agency)
            )
        centre = ui.text("contact.province_centre", centre=info.centre) if info.centre else ""
        return ui.text(
            "contact.province",
            province=info.display,
            agency=info.agency,
            centre=centre,
            details="\n".join(lines),
        )


def _check_lengths(topics: TopicSet, ui: UiTexts, provinces: dict[str, Province]) -> None:
    """Every answer, with any province's note, must fit one Telegram message."""
    # An overlay changes only the topics it has a note for: 34 provinces cost a few renders.
    pairs: list[tuple[Topic, Province | None]] = [(topic, None) for topic in topics] + [
        (topics[topic_id], overlay) for overlay in provinces.values() for topic_id in overlay.notes
    ]
    for topic, overlay in pairs:
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
    topics = load_topics(root / "topics", root / "examples")
    provinces = load_provinces(root / "provinces", [t.id for t in topics])
    if province and (province not in PROVINCE_CODES or province not in provinces):
        raise KnowledgeError(
            root / "provinces",
            None,
            f"BOT_PROVINCE={province!r} is not one of the 34 province codes "
            f"({', '.join(PROVINCE_CODES)})",
        )
    _check_lengths(topics, ui, provinces)
    qa = QuestionAnswerer(topics, lexicon, ui, provinces.get(province) if province else None)
    intake_form = load_form(root / "forms" / "intake.yaml", INTAKE_ROLES)
    de_an = load_template(root / "templates" / "de_an.yaml", set(intake_form.ids()))
    texts = [t for topic in topics for t in (topic.title, topic.answer, *topic.more)]
    texts += [t for q in intake_form.steps for t in (q.prompt, q.help, q.label)]
    texts += [o.label for q in intake_form.steps for o in q.options]
    texts += ui.values()
    return KnowledgeBase(
        ui=ui,
        province=province,
        topics=topics,
        lexicon=lexicon,
        provinces=provinces,
        qa=qa,
        eligibility=load_rules(root / "rules" / "eligibility.yaml"),
        intake_form=intake_form,
        de_an=de_an,
        restorer=load_restorer(root / "lexicon" / "restore.yaml", texts),
        reminders=load_policy(root / "reminders" / "policy.yaml"),
        places=ProvinceNames(provinces),
        followup=load_followup(root / "followup", intake_form),
        root=root,
        desk=load_desk(desk) if (desk := root / "officer" / "desk.yaml").exists() else None,
    )
