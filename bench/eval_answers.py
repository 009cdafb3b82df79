"""Answer quality on labelled question sets, per set and per writing style, through the same
`kb.answer()` as `python -m bot ask`, against the matcher alone (today's baseline) measured in
the same run; plus a k-fold estimate that holds out whole blocks of each topic's examples.

    python bench/eval_answers.py [--data FILE ...] [--knowledge DIR] [--no-dense] [--folds 5]
                                 [--errors]

By default: dev.jsonl, dev2.jsonl and bench/data/holdout_quality.jsonl (164 questions in
dev2's styles, written for issue 11 without the examples in view; the guard test keeps
examples from copying it).

Metrics (in-scope questions unless said): top-1 = answered with the right topic; wrong =
answered with another topic (out-of-scope questions answered count too, in "oos answered");
abstain = no topic; recall@3 = the right topic among the answer and its first alternatives
(three in all) or, when abstaining, among the three offered buttons; helpful = answered right
or the right topic among the offered buttons; oos refused = out-of-scope questions without a
topic.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.cli import ask_one  # noqa: E402 - after the path set-up above
from knowledge import KnowledgeBase, load_knowledge  # noqa: E402
from knowledge.answers import AnswerResult, QuestionAnswerer  # noqa: E402
from knowledge.base import KNOWLEDGE_DIR  # noqa: E402
from knowledge.search.models import EMBEDDING_CACHE  # noqa: E402
from knowledge.topics import TopicSet  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "eval"
DEFAULT_DATA = SHARED / "dev.jsonl"
HOLDOUT = Path(__file__).resolve().parent / "data" / "holdout_quality.jsonl"
STYLES = ("long", "slang", "no_diacritics", "typo", "accented", "voice", "short")


def load_rows(path: Path) -> list[tuple[str, str | None]]:
    return [(q, t) for q, t, _ in load_styled(path)]


def load_styled(path: Path) -> list[tuple[str, str | None, str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            rows.append((item["q"], item["topic"], item.get("style", "-")))
    return rows


def offered(result: AnswerResult) -> tuple[str, ...]:
    """What the user can reach in one tap: the answer and alternatives, three in all."""
    if result.topic is not None:
        return (result.topic, *result.alternatives[:2])
    return result.alternatives[:3]


class Tally:
    def __init__(self) -> None:
        self.n = self.right = self.wrong = self.abstain = self.r3 = self.helpful = 0
        self.oos = self.oos_refused = 0

    def add(self, expected: str | None, result: AnswerResult) -> None:
        if expected is None:
            self.oos += 1
            self.oos_refused += result.topic is None
            return
        self.n += 1
        self.right += result.topic == expected
        self.wrong += result.topic not in (None, expected)
        self.abstain += result.topic is None
        self.r3 += expected in offered(result)
        self.helpful += result.topic == expected or (
            result.topic is None and expected in result.alternatives[:3]
        )

    def row(self, name: str) -> str:
        def pct(x: int, n: int) -> str:
            return f"{x / n:6.1%}" if n else "     –"

        return (
            f"{name:14} {self.n:4} {pct(self.right, self.n)} {pct(self.wrong, self.n)} "
            f"{pct(self.abstain, self.n)} {pct(self.r3, self.n)} {pct(self.helpful, self.n)} "
            f"{self.oos:4} {pct(self.oos_refused, self.oos)}"
        )


HEADER = (
    f"{'style':14} {'n':>4} {'top-1':>6} {'wrong':>6} {'abst.':>6} {'rec@3':>6} {'helpf.':>6} "
    f"{'oos':>4} {'refus.':>6}"
)


def evaluate(
    answer: Callable[[str], AnswerResult], rows: list[tuple[str, str | None, str]]
) -> dict[str, Tally]:
    tallies: dict[str, Tally] = defaultdict(Tally)
    for question, expected, style in rows:
        result = answer(question)
        tallies["ALL"].add(expected, result)
        tallies[style].add(expected, result)
    return tallies


def show(title: str, tallies: dict[str, Tally]) -> None:
    print(f"\n== {title}\n{HEADER}")
    for style in ("ALL", *STYLES, *sorted(set(tallies) - {"ALL", *STYLES})):
        if style in tallies:
            print(tallies[style].row(style))


def lexical_only(kb: KnowledgeBase) -> Callable[[str], AnswerResult]:
    """Today's matcher with its tuned threshold: the baseline of this run."""
    assert kb.topics is not None
    assert kb.lexicon is not None
    baseline = QuestionAnswerer(kb.topics, kb.lexicon, kb.ui)
    return baseline.answer


def k_fold(
    kb: KnowledgeBase, folds: int, models: Path, dense: bool, embeddings: Path | None = None
) -> None:
    """Each topic's examples cut into `folds` contiguous blocks (authors write related
    phrasings together, so a block is a group); block i of every topic is held out, the
    rest trains matcher, classifier and dense index, and the held-out examples are asked."""
    assert kb.topics is not None
    assert kb.lexicon is not None
    total, base_total = Tally(), Tally()
    for fold in range(folds):
        kept, held = {}, []
        for topic in kb.topics:
            size = len(topic.examples)
            lo, hi = size * fold // folds, size * (fold + 1) // folds
            held += [(e, topic.id) for e in topic.examples[lo:hi]]
            kept[topic.id] = dataclasses.replace(
                topic, examples=topic.examples[:lo] + topic.examples[hi:]
            )
        topics = TopicSet(kept)
        qa = QuestionAnswerer(topics, kb.lexicon, kb.ui)
        base = QuestionAnswerer(topics, kb.lexicon, kb.ui)
        fold_kb = dataclasses.replace(kb, topics=topics, qa=qa)
        # The fold's own key: its models are never mistaken for the full knowledge's.
        directory = models / f"fold{fold}-{folds}"
        # Embeddings are keyed by text: the full build's cache spares re-embedding (minutes).
        if embeddings is not None and embeddings.is_file():
            directory.mkdir(parents=True, exist_ok=True)
            shutil.copy(embeddings, directory / EMBEDDING_CACHE)
        fold_kb.prepare_answering(directory, use_dense=dense, rebuild=True)
        for question, expected in held:
            total.add(expected, qa.answer(question))
            base_total.add(expected, base.answer(question))
    print(f"\n== k-fold ({folds} folds, blocks of each topic's examples held out)\n{HEADER}")
    print(base_total.row("matcher alone"))
    print(total.row("vote"))


def with_examples(folder: Path) -> Path:
    """A scratch copy of knowledge/ with `folder`'s <topic_id>.yaml files as examples."""
    scratch = Path(tempfile.mkdtemp(prefix="kb-examples-")) / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, scratch, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    target = scratch / "examples"
    target.mkdir(exist_ok=True)
    for path in folder.glob("*.yaml"):
        shutil.copy(path, target / path.name)
    lexicon = folder.parent / "lexicon" / "out_of_scope.yaml"
    if lexicon.is_file():
        shutil.copy(lexicon, scratch / "lexicon" / "out_of_scope.yaml")
    return scratch


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--data",
        type=Path,
        nargs="*",
        # Our own held-out set (written without the examples in view) beside the two dev sets.
        default=[SHARED / "dev.jsonl", SHARED / "dev2.jsonl", HOLDOUT],
    )
    parser.add_argument("--examples", type=Path, help="a knowledge/examples folder to add")
    parser.add_argument("--models", type=Path, default=Path("data/models"))
    parser.add_argument("--no-dense", action="store_true")
    parser.add_argument("--folds", type=int, default=5, help="0: no k-fold estimate")
    parser.add_argument("--errors", action="store_true", help="print every miss")
    args = parser.parse_args()
    root = with_examples(args.examples) if args.examples else None
    kb = load_knowledge(root) if root else load_knowledge()
    started = time.perf_counter()
    models = kb.prepare_answering(args.models, use_dense=not args.no_dense)
    print(
        f"models {models.key}: {'3 voters' if models.has_dense else '2 voters'}, "
        f"ready in {time.perf_counter() - started:.1f} s; examples "
        f"{sum(len(t.examples) for t in kb.topics or ())}"
    )
    baseline = lexical_only(kb)
    for path in args.data:
        rows = load_styled(path)
        show(f"{path.name}: matcher alone (baseline, same run)", evaluate(baseline, rows))
        show(f"{path.name}: vote (same path as `ask`)", evaluate(kb.answer, rows))
        if args.errors:
            for q, expected, style in rows:
                got = ask_one(kb, q)
                if got["topic"] != expected:
                    alts = ",".join(got["alternatives"])  # type: ignore[arg-type]
                    print(f"  {style:13} {expected!s:22} got {got['topic']!s:22} [{alts}] {q}")
    if args.folds:
        random.seed(0)
        cache = args.models / EMBEDDING_CACHE
        k_fold(kb, args.folds, args.models / "kfold", not args.no_dense, cache)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
