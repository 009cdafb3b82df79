"""Answers one question from the topics: the shared path of `ask` and the chat (faq)."""

from __future__ import annotations

import dataclasses
import logging
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from knowledge.citations import readable_list
from knowledge.lexicon import LexiconData
from knowledge.provinces import Province
from knowledge.search.classifier import OOS_CLASS
from knowledge.search.focus import QUESTION_WEIGHT, Focus, focus, whole
from knowledge.search.matcher import Candidate, MatchEntry, Matcher, Ranking
from knowledge.search.models import AnswerModels, TrainingSet, dense_text
from knowledge.search.normalise import Normaliser, fold, has_diacritics
from knowledge.search.vocabulary import snap_vocabulary
from knowledge.search.vote import Decision, Referee, Vote, decide, needs_third
from knowledge.topics import Topic, TopicSet, status_text
from knowledge.ui import UiTexts

log = logging.getLogger(__name__)

OOS_PREFIX = "oos:"
# Shown when nothing matched at all: the broadest entry points.
DEFAULT_SUGGESTIONS = ("noi_dung_ho_tro", "doi_tuong", "tro_giup")
SUGGESTIONS = 3
MIN_SUGGESTED = 0.32
# A question sentence with fewer content syllables than this ("vậy có được không?") leans
# on the story before it: the voters then read the whole message.
MIN_FOCUS_TOKENS = 3
RANKED = 5
DENSE_WORDS = 24
# When matcher, classifier and dense model name three different topics, the classifier's
# topic is answered at this probability or above (chosen on the k-fold estimate: 0.4/0.5/0.6/
# 0.7 gave +1.2/+1.0/+0.6/+0.4 points top-1 for +0.2/+0.1/+0.1/0 wrong).
CLASSIFIER_ALONE = 0.5
# Two of three voters agreeing still abstain when the classifier does not back them: matcher +
# dense need its probability for their topic ≥ 0.1, classifier + dense need its lead over its
# second topic ≥ 0.1. k-fold estimate (3 voters): top-1 87.4 → 86.1 %, wrong 7.3 → 6.3 %;
# accented probe (bench/data/probe_accented.jsonl) 90.7 → 87.9 %, wrong 4.7 → 2.8 %.
REFEREE = Referee("classifier", 0.1, 0.1, spared=frozenset({OOS_CLASS}))
# Matcher and classifier agreeing with the classifier's probability below this still ask the
# dense model: k-fold (3 voters) −6 wrong for −3 right of 2,008 at 0.2 (0.15: −2/−1,
# 0.25: −8/−12, 0.3: −9/−14), holdout and probes unchanged.
UNSURE_AGREEMENT = 0.2


@dataclass(frozen=True, slots=True)
class AnswerResult:
    """SPEC §1 `ask --json` fields, plus what the chat needs to draw buttons."""

    question: str
    topic: str | None
    confidence: float
    answer: str
    sources: tuple[str, ...]
    alternatives: tuple[str, ...]
    reason: str  # answered | low_confidence | out_of_scope | empty | small_talk
    out_of_scope: str | None = None
    normalised: str = ""  # folded syllables: groups "hạn nộp?" with "han nop"
    also: tuple[str, ...] = ()  # a second question's topic, offered as a button

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
        # Typos in unaccented examples must not become words (knowledge.search.vocabulary).
        trusted = [t.title for t in topics] + [k for t in topics for k in t.keywords]
        trusted += [e.body for e in entries] + [s.reply for s in lexicon.out_of_scope]
        trusted += [p for e in entries for p in e.phrasings if has_diacritics(p)]
        typed = [p for e in entries for p in e.phrasings if not has_diacritics(p)]
        vocabulary = snap_vocabulary(
            (w for text in trusted for w in _folded(text)),
            (w for text in typed for w in _folded(text)),
        )
        self.normaliser = Normaliser(lexicon.lexicon, vocabulary)
        self.matcher = Matcher(entries, self.normaliser, lexicon.params)
        self.threshold = lexicon.params.threshold
        self.lexicon = lexicon
        self.models: AnswerModels | None = None
        # Questions an officer assigned to a topic, by normalised form: answered with that
        # topic at once (an officer's decision on that exact question), before any vote.
        self.pinned: dict[str, str] = {}

    def pin(self, examples: dict[str, list[str]]) -> None:
        """Answer these exact questions (normalised) with their topic (topic id → texts)."""
        for topic, texts in examples.items():
            for text in texts:
                key = self.normaliser.normalise(text).text
                if key and topic in self.topics:
                    self.pinned[key] = topic

    def training_set(self) -> TrainingSet:
        """What the classifier learns from (titles, examples, keywords by topic; the
        out-of-scope examples as one class) and the restorer reads (also the answers)."""
        labelled = [
            (text, topic.id)
            for topic in self.topics
            for text in (topic.title, *topic.examples, *topic.keywords)
        ]
        labelled += [(e, OOS_CLASS) for s in self.lexicon.out_of_scope for e in s.examples]
        sentences = [text for text, _ in labelled]
        sentences += [part for t in self.topics for part in (t.answer, *t.more)]
        sentences += [s.reply for s in self.lexicon.out_of_scope]
        return TrainingSet(tuple(labelled), tuple(sentences))

    def use_models(self, models: AnswerModels | None) -> None:
        """Switch to the vote of matcher, classifier and (when present) dense model."""
        self.models = models
        if models is not None:
            voters = "matcher, classifier, dense" if models.has_dense else "matcher, classifier"
            log.info("answering by agreement of %s (models %s)", voters, models.key)

    def answer(self, question: str) -> AnswerResult:
        small_talk = self.lexicon.small_talk(question)
        if small_talk is not None:
            entry_points = tuple(t for t in DEFAULT_SUGGESTIONS if t in self.topics)
            return AnswerResult(
                question,
                None,
                0.0,
                small_talk.reply,
                (),
                entry_points,
                "small_talk",
                out_of_scope=small_talk.id,
            )
        pinned = self.pinned.get(self.normaliser.normalise(question).text) if self.pinned else None
        if pinned is not None:
            topic = self.topics[pinned]
            return AnswerResult(
                question=question,
                topic=topic.id,
                confidence=1.0,
                answer=self.render(topic),
                sources=self.sources_of(topic),
                alternatives=(),
                reason="answered",
                normalised=self.normaliser.normalise(question).text,
            )
        if self.models is not None:
            return self._answer_by_vote(question, self.models)
        return self._answer_by_matcher(question)

    def _answer_by_matcher(self, question: str) -> AnswerResult:
        """Without built models (kb check, tests of the data): the matcher alone, with its
        tuned threshold."""
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

    def _answer_by_vote(self, question: str, models: AnswerModels) -> AnswerResult:
        parts = focus(question)
        # A story is read whole: its subject is often in the story and the question only
        # points at it ("Tôi định mua lò sấy điện. Có được hỗ trợ không?"); the classifier
        # also weighs the asking sentences again (_classifier_vote). Measured against reading
        # the asking sentences alone (bench/eval_answers.py, 3 voters): k-fold top-1 85.7 →
        # 86.7 %, wrong 5.8 → 5.3 %; holdout 96.5 → 97.2 %; probe_long 43.8 → 81.2 % (wrong
        # 12.5 → 18.8 %, 3 of 16: the story's topic where the question meant the next step).
        reading = whole(question) if parts.context else parts.question
        if len(self.normaliser.normalise(reading).tokens) < MIN_FOCUS_TOKENS:
            reading = question
        ranking = self.matcher.rank(reading)
        if not ranking.query.tokens:
            return self._abstain(question, ranking, "empty", 0.0)
        votes = [
            self._matcher_vote(ranking),
            self._classifier_vote(models, parts, reading),
        ]
        # Two agreeing voters decide whatever the third says: the dense model (the slow one,
        # ~10–50 ms a question) is asked only when matcher and classifier disagree, or agree
        # with the classifier unsure (then the referee weighs a dissenting dense vote).
        if models.has_dense and needs_third(votes, REFEREE.voter, UNSURE_AGREEMENT):
            votes.append(self._dense_vote(models, reading))
        decision = decide(votes, alone=("classifier", CLASSIFIER_ALONE), referee=REFEREE)
        log.debug("question %r read as %r", question, reading)
        _log_decision(decision, votes)
        winner = decision.winner
        suggestions = [c for c in decision.fused if c in self.topics]
        if winner is not None and winner in self.topics:
            topic = self.topics[winner]
            also = self._second_question(parts, models, winner)
            return AnswerResult(
                question=question,
                topic=topic.id,
                confidence=_confidence(decision, votes),
                answer=self.render(topic),
                sources=self.sources_of(topic),
                alternatives=tuple(
                    dict.fromkeys([*also, *(c for c in suggestions if c != winner)])
                )[:SUGGESTIONS],
                reason="answered",
                normalised=self.normaliser.normalise(question).text,
                also=also,
            )
        if winner == OOS_CLASS:
            subject = next((c for c in ranking.candidates if not c.in_scope), None)
            result = self._abstain(question, ranking, "out_of_scope", 0.0, subject)
        else:
            confidence = _confidence(decision, votes)
            result = self._abstain(question, ranking, "low_confidence", confidence)
        # Officers' list of unanswered questions groups by the whole message, not its focus.
        result = dataclasses.replace(result, normalised=self.normaliser.normalise(question).text)
        return _with_suggestions(result, suggestions, self.topics)

    def _matcher_vote(self, ranking: Ranking) -> Vote:
        ranked: list[str] = []
        scores: list[float] = []
        for c in ranking.candidates:
            key = c.key if c.in_scope else OOS_CLASS
            if key not in ranked:
                ranked.append(key)
                scores.append(c.confidence)
        return Vote("matcher", tuple(ranked[:RANKED]), tuple(scores[:RANKED]))

    def _classifier_vote(self, models: AnswerModels, parts: Focus, reading: str) -> Vote:
        weights: dict[str, float] = {}
        sources = [(reading, 1.0)]
        if parts.context and reading != parts.question:
            sources.append((parts.question, QUESTION_WEIGHT))
        for text, weight in sources:
            for term in self.normaliser.normalise(text).terms:
                weights[term] = weights.get(term, 0.0) + weight
        probabilities = models.classifier.probabilities(weights)
        order = np.argsort(-probabilities)[:RANKED]
        classes = models.classifier.classes
        return Vote(
            "classifier",
            tuple(classes[i] for i in order),
            tuple(float(probabilities[i]) for i in order),
        )

    def _dense_vote(self, models: AnswerModels, reading: str) -> Vote:
        assert models.dense is not None
        assert models.encoder is not None
        # The question sits at the end of a story; e5's cost grows with the length (~30 ms for
        # 10 tokens, ~170 ms for 40 on a busy 2-core machine), so it reads the last words only.
        words = reading.split()[-DENSE_WORDS:]
        text = dense_text(" ".join(words), models.restorer, self.normaliser.syllables)
        scores = models.dense.scores(np.asarray(models.encoder.query(text)))
        order = np.argsort(-scores)[:RANKED]
        return Vote(
            "dense",
            tuple(models.dense.classes[i] for i in order),
            tuple(float(scores[i]) for i in order),
        )

    def _second_question(self, parts: Focus, models: AnswerModels, main: str) -> tuple[str, ...]:
        """Two questions in one message: a topic other than the main one that matcher and
        classifier agree on for one of the asking sentences."""
        if len(parts.questions) < 2:
            return ()
        for piece in parts.questions:
            ranking = self.matcher.rank(piece)
            single = Focus(piece, "", (piece,))
            votes = [self._matcher_vote(ranking), self._classifier_vote(models, single, piece)]
            found = decide(votes).winner
            if found is not None and found != main and found in self.topics:
                return (found,)
        return ()

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


def _confidence(decision: Decision, votes: list[Vote]) -> float:
    """Share of voters behind the decision, scaled by the classifier's probability for it;
    an abstention reports the classifier's probability of the fused first class, halved."""
    target = decision.winner or (decision.fused[0] if decision.fused else None)
    classifier = next((v for v in votes if v.voter == "classifier"), None)
    probability = 0.0
    if classifier is not None and target in classifier.ranked:
        probability = classifier.scores[classifier.ranked.index(target)]
    if decision.winner is None:
        return round(probability / 2, 3)
    share = len(decision.agreeing) / len(votes)
    return round(0.5 + 0.5 * share * max(probability, 0.5), 3)


def _with_suggestions(result: AnswerResult, fused: list[str], topics: TopicSet) -> AnswerResult:
    """The voters' fused ranking first, then the matcher's own neighbours and the broad
    entry points: three topics the user can press."""
    picked = tuple(dict.fromkeys([*fused, *result.alternatives]))[:SUGGESTIONS]
    return dataclasses.replace(result, alternatives=tuple(t for t in picked if t in topics))


def _log_decision(decision: Decision, votes: list[Vote]) -> None:
    if not log.isEnabledFor(logging.INFO):
        return
    tops = ", ".join(
        f"{v.voter}={v.top}({v.scores[0]:.2f})" if v.top else f"{v.voter}=-" for v in votes
    )
    if decision.winner is None:
        log.info("answer: voters disagree, abstain; %s; offered %s", tops, decision.fused[:3])
    else:
        log.info("answer: %s by %s; %s", decision.winner, "+".join(decision.agreeing), tops)


# Runs of str.isalnum() characters (re's \w is isalnum() or "_").
_ALNUM_RUN = re.compile(r"[^\W_]+")


def _folded(phrase: str) -> list[str]:
    return _ALNUM_RUN.findall(fold(phrase))


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
