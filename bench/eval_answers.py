"""Top-1 accuracy and out-of-scope abstention on a labelled question set, through the same
code path as `python -m bot ask`, with a rapidfuzz WRatio baseline measured in the same run.

    python bench/eval_answers.py [--data ../shared/eval/dev.jsonl] [--province CODE] [--errors]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rapidfuzz import fuzz, process

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.cli import ask_one  # noqa: E402 - after the path set-up above
from knowledge import KnowledgeBase, load_knowledge  # noqa: E402
from knowledge.search.normalise import fold, has_diacritics  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "eval" / "dev.jsonl"


def load_rows(path: Path) -> list[tuple[str, str | None]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            rows.append((item["q"], item["topic"]))
    return rows


class WRatioBaseline:
    """The question against every example phrasing alone, rapidfuzz WRatio on folded text."""

    def __init__(self, kb: KnowledgeBase, threshold: float) -> None:
        assert kb.topics is not None
        self.choices = [(fold(e), t.id) for t in kb.topics for e in t.examples]
        self.threshold = threshold

    def predict(self, question: str) -> str | None:
        best = process.extractOne(fold(question), [c for c, _ in self.choices], scorer=fuzz.WRatio)
        if best is None or best[1] < self.threshold:
            return None
        return self.choices[best[2]][1]


def metrics(rows: list[tuple[str, str | None]], predictions: list[str | None]) -> dict[str, float]:
    def share(pairs: list[tuple[str | None, str | None]]) -> float:
        return sum(p == e for e, p in pairs) / len(pairs) if pairs else float("nan")

    pairs = [(e, p) for (_, e), p in zip(rows, predictions, strict=True)]
    in_scope = [(e, p) for (q, e), p in zip(rows, predictions, strict=True) if e is not None]
    accented = [
        (e, p) for (q, e), p in zip(rows, predictions, strict=True) if e and has_diacritics(q)
    ]
    plain = [
        (e, p) for (q, e), p in zip(rows, predictions, strict=True) if e and not has_diacritics(q)
    ]
    oos = [(e, p) for e, p in pairs if e is None]
    abstained = [(e, p) for e, p in pairs if p is None]
    wrong_answers = sum(1 for e, p in in_scope if p is not None and p != e)
    return {
        "top1_overall": share(pairs),
        "top1_in_scope": share(in_scope),
        "top1_with_diacritics": share(accented),
        "top1_without_diacritics": share(plain),
        "oos_abstention_recall": sum(p is None for _, p in oos) / len(oos) if oos else 0.0,
        "abstention_precision": (
            sum(e is None for e, _ in abstained) / len(abstained) if abstained else 1.0
        ),
        "wrong_answers": wrong_answers,
        "n": len(pairs),
        "n_in_scope": len(in_scope),
        "n_with": len(accented),
        "n_without": len(plain),
        "n_oos": len(oos),
    }


def show(name: str, m: dict[str, float]) -> None:
    print(f"\n== {name}")
    print(f"top-1 overall (OOS right when abstained): {m['top1_overall']:.1%} of {m['n']}")
    print(f"top-1 in scope:             {m['top1_in_scope']:.1%} of {m['n_in_scope']}")
    print(f"  with diacritics:          {m['top1_with_diacritics']:.1%} of {m['n_with']}")
    print(f"  without diacritics:       {m['top1_without_diacritics']:.1%} of {m['n_without']}")
    print(f"OOS abstained (recall):     {m['oos_abstention_recall']:.1%} of {m['n_oos']}")
    print(f"abstention precision:       {m['abstention_precision']:.1%}")
    print(f"wrong answers given:        {m['wrong_answers']}")


def calibration(rows: list[tuple[str, str | None]], results: list[dict[str, object]]) -> None:
    """Is the confidence honest? Accuracy of the answers given, per confidence band."""
    bands = [(0.0, 0.5), (0.5, 0.7), (0.7, 0.9), (0.9, 1.01)]
    print("\n== calibration of answers given (confidence band: share right)")
    for low, high in bands:
        inside = [
            (e, r["topic"])
            for (_, e), r in zip(rows, results, strict=True)
            if r["topic"] is not None and low <= float(r["confidence"]) < high  # type: ignore[arg-type]
        ]
        if inside:
            right = sum(e == t for e, t in inside) / len(inside)
            print(f"  [{low:.1f}, {min(high, 1.0):.1f}): {right:.0%} right of {len(inside)}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--province", default=None)
    parser.add_argument("--errors", action="store_true", help="print every miss")
    args = parser.parse_args()
    kb = load_knowledge(province=args.province)
    rows = load_rows(args.data)
    results = [ask_one(kb, q) for q, _ in rows]
    ours = [r["topic"] for r in results]
    m = metrics(rows, ours)
    show("this matcher (same path as `ask`)", m)
    bases = []
    for threshold in range(0, 101, 5):
        base = WRatioBaseline(kb, threshold)
        bases.append((threshold, metrics(rows, [base.predict(q) for q, _ in rows])))
    no_threshold = bases[0]
    best = max(bases, key=lambda b: b[1]["top1_overall"])
    show("baseline: WRatio vs example phrasings, no threshold", no_threshold[1])
    show(f"baseline: same, best threshold for it ({best[0]})", best[1])
    gain = (m["top1_overall"] - best[1]["top1_overall"]) * 100
    gain_in = (m["top1_in_scope"] - no_threshold[1]["top1_in_scope"]) * 100
    print(f"\ngain over the best baseline, top-1 overall: {gain:+.1f} points")
    print(f"gain over the baseline's ranking, top-1 in scope: {gain_in:+.1f} points")
    calibration(rows, results)
    if args.errors:
        print("\n== misses")
        for (q, expected), r in zip(rows, results, strict=True):
            if r["topic"] != expected:
                print(f"{expected!s:24} got {r['topic']!s:24} {r['confidence']:.2f} {q}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
