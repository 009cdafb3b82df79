"""Grid search of the matcher's weights and threshold on a labelled set (development only).

Cost, as in research/style-and-retrieval.md B.4: a wrong answer costs three right ones, an
unanswered in-scope question 0.3. Prints the best parameters for knowledge/lexicon/matcher.yaml.

    python bench/tune_matcher.py [--data ../shared/eval/dev.jsonl]
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.eval_answers import DEFAULT_DATA, load_rows  # noqa: E402
from knowledge import load_knowledge  # noqa: E402


def evaluate(kb, rows):  # type: ignore[no-untyped-def]
    right = wrong = unanswered = oos_ok = ranked = 0
    for question, expected in rows:
        result = kb.answer(question)
        first = result.topic or (result.alternatives[0] if result.alternatives else None)
        if expected is None:
            oos_ok += result.topic is None
            wrong += result.topic is not None
            continue
        ranked += first == expected
        if result.topic is None:
            unanswered += 1
        elif result.topic == expected:
            right += 1
        else:
            wrong += 1
    cost = right + oos_ok - 3 * wrong - 0.3 * unanswered
    return cost, right, wrong, unanswered, oos_ok, ranked


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    kb = load_knowledge()
    rows = load_rows(args.data)
    matcher = kb.qa.matcher
    base = matcher.params
    best = None
    grid = itertools.product(
        (0.3, 0.45, 0.6),  # bm25
        (0.2, 0.35, 0.5),  # coverage
        (0.1, 0.2, 0.3),  # fuzzy
        (0.1, 0.2),  # body
        (0.5, 1.0, 2.0),  # margin
    )
    for wb, wc, wf, wbody, wm in grid:
        matcher.params = dataclasses.replace(
            base,
            weight_bm25=wb,
            weight_coverage=wc,
            weight_fuzzy=wf,
            weight_body=wbody,
            weight_margin=wm,
        )
        for mid in (0.35, 0.4, 0.45, 0.5, 0.55):
            matcher.params = dataclasses.replace(matcher.params, midpoint=mid)
            stats = evaluate(kb, rows)
            if best is None or stats[0] > best[0][0]:
                best = (stats, matcher.params)
                print(stats, best[1], flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
