"""Answers one question from the topics: the shared path of `ask` and the chat (faq)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from knowledge.citations import readable_list
from knowledge.lexicon import LexiconData
from knowledge.provinces import Province
from knowledge.search.matcher import Candidate, MatchEntry, Matcher, Ranking
from knowledge.search.normalise import Normaliser, fold
from knowledge.topics import Topic, TopicSet, status_text
from knowledge.ui import UiTexts

OOS_PREFIX = "oos:"
# Shown when nothing matched at all: the broadest entry points.
DEFAULT_SUGGESTIONS = ("noi_dung_ho_tro", "doi_tuong", "tro_giup")
SUGGESTIONS = 3
MIN_SUGGESTED = 0.32


@dataclass(frozen=True, slots=True)
class AnswerResult:
    """SPEC §1 `ask --json` fields, plus what the chat needs to draw buttons."""

    question: str
    topic: str | None
    confidence: float
    answer: str
    sources: tuple[str, ...]
    alternatives: tuple[str, ...]
    reason: str  # answered | low_confidence | out_of_scope | empty
    out_of_scope: str | None = None
    normalised: str = ""  # folded syllables: groups "hạn nộp?" with "han nop"

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "topic": self.topic,
            "confidence": round(self.confidence, 3),
            "answer": self.answer,
            "sources": list(self.sources),
            "alternatives": list(self.alternatives),
        }


class QuestionAnswerer:
    def __init__(
        self,
        topics: TopicSet,
        lexicon: LexiconData,
        ui: UiTexts,
        province: Province | None = None,
    ) -> None:
        self.topics, self.ui, self.province = topics, ui, province
        self._oos = {s.id: s for s in lexicon.out_of_scope}
        entries = [
            MatchEntry(t.id, t.phrasings, body=" ".join((t.answer, *t.more))) for t in topics
        ]
        entries += [
            MatchEntry(OOS_PREFIX + s.id, s.examples, in_scope=False) for s in lexicon.out_of_scope
        ]
        vocabulary = {
            word
            for entry in entries
            for phrase in (*entry.phrasings, entry.body)
            for word in _folded(phrase)
        }
        self.normaliser = Normaliser(lexicon.lexicon, vocabulary)
        self.matcher = Matcher(entries, self.normaliser, lexicon.params)
        self.threshold = lexicon.params.threshold

    def answer(self, question: str) -> AnswerResult:
        ranking = self.matcher.rank(question)
        best = ranking.best
        in_scope = [c for c in ranking.candidates if c.in_scope]
        if best is None:
            reason = "low_confidence" if ranking.query.tokens else "empty"
            return self._abstain(question, ranking, reason, 0.0)
        if not best.in_scope and best.confidence >= self.threshold:
            leading = in_scope[0].confidence * (1 - best.confidence) if in_scope else 0.0
            return self._abstain(question, ranking, "out_of_scope", leading, best)
        if best.in_scope and best.confidence >= self.threshold:
            topic = self.topics[best.key]
            return AnswerResult(
                question=question,
                topic=topic.id,
                confidence=best.confidence,
                answer=self.render(topic),
                sources=self.sources_of(topic),
                alternatives=tuple(c.key for c in in_scope[1 : 1 + SUGGESTIONS]),
                reason="answered",
                normalised=ranking.query.text,
            )
        leading = in_scope[0].confidence if in_scope else 0.0
        return self._abstain(question, ranking, "low_confidence", min(leading, best.confidence))

    def _abstain(
        self,
        question: str,
        ranking: Ranking,
        reason: str,
        confidence: float,
        oos: Candidate | None = None,
    ) -> AnswerResult:
        # Weak neighbours (a shared "thời" in "thời tiết") make poor suggestions: the broad
        # entry points fill their places.
        closest = [c.key for c in ranking.candidates if c.in_scope and c.score >= MIN_SUGGESTED]
        padding = [t for t in DEFAULT_SUGGESTIONS if t not in closest and t in self.topics]
        suggestions = tuple((closest + padding)[:SUGGESTIONS])
        if oos is not None:
            subject = self._oos[oos.key.removeprefix(OOS_PREFIX)]
            text = f"{subject.reply}\n{self.ui.text('faq.abstain_oos')}"
        elif reason == "empty":
            text = self.ui.text("faq.abstain_empty")
        else:
            text = self.ui.text("faq.abstain")
        return AnswerResult(
            question=question,
            topic=None,
            confidence=confidence,
            answer=text,
            sources=(),
            alternatives=suggestions,
            reason=reason,
            out_of_scope=oos.key.removeprefix(OOS_PREFIX) if oos else None,
            normalised=ranking.query.text,
        )

    def sources_of(self, topic: Topic) -> tuple[str, ...]:
        return sources_of(topic, self.province)

    def render(self, topic: Topic) -> str:
        return render_topic(topic, self.ui, self.province)

    def render_more(self, topic: Topic, page: int) -> str:
        """Page `page` (1-based) of the topic's "Xem thêm" texts."""
        header = self.ui.text("faq.more_page", title=topic.title)
        return f"{header}\n{topic.more[page - 1]}"


def _folded(phrase: str) -> list[str]:
    return "".join(ch if ch.isalnum() else " " for ch in fold(phrase)).split()


def sources_of(topic: Topic, province: Province | None) -> tuple[str, ...]:
    if province is not None and topic.id in province.notes:
        return topic.sources + province.sources
    return topic.sources


def render_topic(topic: Topic, ui: UiTexts, province: Province | None) -> str:
    """The first answer: text, the province's note, the status lines, the sources as an owner
    reads them ("khoản 3 Điều 4 Nghị định 45/2012/NĐ-CP")."""
    parts = [topic.answer]
    if province is not None and topic.id in province.notes:
        parts.append(province.notes[topic.id])
    local_note = province is not None and topic.id in province.notes
    # The province's own note already says what is local; the generic line would repeat it.
    shown = [s for s in topic.statuses if not (s == "local" and local_note)]
    status = status_text(ui, shown)
    if status:
        parts.append(status)
    parts.append(ui.text("faq.sources", sources=readable_list(sources_of(topic, province))))
    return "\n\n".join(parts)
