"""Fits the confidence curve (Platt scaling) so that confidence ≈ the chance the top entry is
right: logistic regression of "top entry correct" on the blend score and the lead over the
runner-up, over labelled questions. Prints slope, midpoint and weight_margin for
knowledge/lexicon/matcher.yaml, with reliability tables before and after.

    python bench/calibrate.py [--data FILE ...]
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.eval_answers import DEFAULT_DATA, load_rows  # noqa: E402
from knowledge import load_knowledge  # noqa: E402

OWN = Path(__file__).resolve().parent / "data"


def samples(kb, rows):  # type: ignore[no-untyped-def]
    out = []
    for question, expected in rows:
        ranking = kb.qa.matcher.rank(question)
        if not ranking.candidates:
            continue
        top = ranking.candidates[0]
        second = ranking.candidates[1].score if len(ranking.candidates) > 1 else top.score
        right = top.key == expected if top.in_scope else expected is None
        out.append((top.score, top.score - second, 1.0 if right else 0.0, top.confidence))
    return out


def fit(data, steps: int = 20000, rate: float = 0.5):  # type: ignore[no-untyped-def]
    a, b, c = 10.0, 10.0, -4.0
    n = len(data)
    for _ in range(steps):
        ga = gb = gc = 0.0
        for blend, lead, y, _ in data:
            p = 1 / (1 + math.exp(-(a * blend + b * lead + c)))
            ga += (p - y) * blend
            gb += (p - y) * lead
            gc += p - y
        # A little L2 on the slopes keeps the curve from going vertical on separable data.
        a -= rate * (ga / n + 0.001 * a)
        b -= rate * (gb / n + 0.001 * b)
        c -= rate * gc / n
    return a, b, c


def reliability(name: str, pairs: list[tuple[float, float]]) -> float:
    print(f"\n{name} (confidence band: share right, count)")
    for low, high in ((0, 0.2), (0.2, 0.4), (0.4, 0.6), (0.6, 0.8), (0.8, 1.01)):
        inside = [y for p, y in pairs if low <= p < high]
        if inside:
            mean = sum(p for p, _ in pairs if low <= p < high) / len(inside)
            print(
                f"  [{low:.1f}, {min(high, 1):.1f}): mean conf {mean:.2f}, right "
                f"{sum(inside) / len(inside):.0%} of {len(inside)}"
            )
    brier = sum((p - y) ** 2 for p, y in pairs) / len(pairs)
    print(f"  Brier score {brier:.3f}")
    return brier


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--data",
        type=Path,
        nargs="*",
        default=[DEFAULT_DATA, OWN / "held_out.jsonl", OWN / "held_out_2.jsonl"],
    )
    args = parser.parse_args()
    kb = load_knowledge()
    rows = [row for path in args.data for row in load_rows(path)]
    data = samples(kb, rows)
    current = reliability("current", [(conf, y) for _, _, y, conf in data])
    a, b, c = fit(data)
    params = dataclasses.replace(
        kb.qa.matcher.params,
        slope=round(a, 2),
        midpoint=round(-c / a, 3),
        weight_margin=round(b / a, 3),
    )
    print(
        f"\nfitted: slope {params.slope}, midpoint {params.midpoint}, "
        f"weight_margin {params.weight_margin}"
    )
    kb.qa.matcher.params = params
    fitted = reliability("fitted", [(conf, y) for _, _, y, conf in samples(kb, rows)])
    verdict = "use the fitted values" if fitted < current else "keep the current values"
    print(f"\n{verdict} (lower Brier score is better calibrated)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
