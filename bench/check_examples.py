"""Check the example phrasings in ``knowledge/examples/`` (data sanity and evaluation honesty).

Usage: ``python bench/check_examples.py [--eval PATH ...]``

1. Every ``knowledge/examples/<id>.yaml`` parses as a YAML list of non-empty strings, its
   name is a topic id of SPEC §3 (the ids of ``knowledge/topics/``), every topic has a file,
   and no phrasing repeats after diacritic folding, within a topic or across topics
   (``knowledge/lexicon/out_of_scope.yaml`` examples included).
2. Counts per topic and per style: a comment line ``# style: <name>`` starts a style section.
3. Honesty: every example is compared, folded, with every question of the given eval sets
   with ``rapidfuzz.fuzz.ratio`` and ``token_set_ratio`` (the latter only between phrasings of
   comparable length); only the count and OUR example text are printed for pairs at or above
   80 (the eval questions are never printed).

Exit status 1 when a sanity rule of step 1 fails.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

import yaml
from rapidfuzz import fuzz

from knowledge.search.normalise import fold

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "knowledge" / "examples"
TOPICS = ROOT / "knowledge" / "topics"
OUT_OF_SCOPE = ROOT / "knowledge" / "lexicon" / "out_of_scope.yaml"
STYLE = re.compile(r"^\s*#\s*style:\s*(\w+)")


def topic_ids() -> list[str]:
    ids = []
    for path in sorted(TOPICS.glob("*.yaml")):
        ids += [entry["id"] for entry in yaml.safe_load(path.read_text(encoding="utf-8"))]
    return ids


def styles_of(path: Path) -> Counter[str]:
    counts: Counter[str] = Counter()
    style = "plain"
    for line in path.read_text(encoding="utf-8").splitlines():
        match = STYLE.match(line)
        if match:
            style = match.group(1)
        elif line.lstrip().startswith("- "):
            counts[style] += 1
    return counts


def key(text: str) -> str:
    return " ".join(re.findall(r"\w+", fold(text)))


def prune(texts: set[str]) -> None:
    """Remove the list items whose text is in ``texts`` from the example files."""
    for path in sorted(EXAMPLES.glob("*.yaml")):
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        kept = [
            line
            for line in lines
            if not (line.lstrip().startswith("- ") and str(yaml.safe_load(line)[0]) in texts)
        ]
        if len(kept) != len(lines):
            path.write_text("".join(kept), encoding="utf-8")
            print(f"  pruned {len(lines) - len(kept)} from {path.name}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--eval",
        nargs="*",
        default=[
            str(ROOT.parent / "shared" / "eval" / "dev.jsonl"),
            str(ROOT.parent / "shared" / "eval" / "dev2.jsonl"),
        ],
    )
    parser.add_argument("--threshold", type=float, default=80)
    parser.add_argument(
        "--prune",
        action="store_true",
        help="delete flagged examples of knowledge/examples/ from their files",
    )
    args = parser.parse_args()

    errors: list[str] = []
    ids = topic_ids()
    seen: dict[str, str] = {}
    per_topic: dict[str, Counter[str]] = {}
    examples: list[tuple[str, str]] = []
    for path in sorted(EXAMPLES.glob("*.yaml")):
        tid = path.stem
        if tid not in ids:
            errors.append(f"{path.name}: not a SPEC §3 topic id")
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(data, list):
            errors.append(f"{path.name}: not a YAML list")
            continue
        for item in data:
            if not isinstance(item, str) or not item.strip():
                errors.append(f"{path.name}: not a non-empty string: {item!r}")
                continue
            k = key(item)
            if k in seen:
                errors.append(f"{path.name}: duplicate of {seen[k]}: {item}")
            seen[k] = tid
            examples.append((tid, item))
        per_topic[tid] = styles_of(path)
        if len(data) != sum(per_topic[tid].values()):
            counted = sum(per_topic[tid].values())
            errors.append(f"{path.name}: style count {counted} != {len(data)}")
    missing = sorted(set(ids) - set(per_topic))
    if missing:
        errors.append(f"no examples file for: {', '.join(missing)}")

    oos = yaml.safe_load(OUT_OF_SCOPE.read_text(encoding="utf-8"))
    oos_count = 0
    for subject in oos:
        for item in subject["examples"]:
            oos_count += 1
            k = key(item)
            if k in seen:
                errors.append(f"out_of_scope/{subject['id']}: duplicate of {seen[k]}: {item}")
            seen[k] = "out_of_scope/" + subject["id"]
            examples.append(("null", item))

    all_styles: Counter[str] = Counter()
    for tid in ids:
        counts = per_topic.get(tid, Counter())
        all_styles += counts
        detail = " ".join(f"{s}={n}" for s, n in sorted(counts.items()))
        print(f"{tid:24} {sum(counts.values()):3}  {detail}")
    print(
        f"{'TOTAL':24} {sum(all_styles.values()):3}  "
        + " ".join(f"{s}={n}" for s, n in sorted(all_styles.items()))
    )
    print(f"out_of_scope examples: {oos_count} in {len(oos)} subjects")

    for eval_path in args.eval:
        path = Path(eval_path)
        if not path.is_file():
            print(f"{path.name}: missing, similarity check skipped")
            continue
        questions = [
            key(json.loads(line)["q"])
            for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
        sizes = [len(q.split()) for q in questions]
        flagged: dict[str, tuple[str, float, float]] = {}
        loose = 0
        for tid, text in examples:
            k = key(text)
            n = len(k.split())
            ratio = max(fuzz.ratio(k, q) for q in questions)
            tset_any = max(fuzz.token_set_ratio(k, q) for q in questions)
            # token_set_ratio is 100 whenever one word set contains the other, so a long story
            # "contains" many short questions; it marks a reworded copy only between phrasings
            # of comparable length (shorter/longer word count >= 0.6).
            tset = max(
                (
                    fuzz.token_set_ratio(k, q)
                    for q, m in zip(questions, sizes, strict=True)
                    if min(n, m) / max(n, m) >= 0.6
                ),
                default=0.0,
            )
            loose += tset_any >= args.threshold
            if ratio >= args.threshold or tset >= args.threshold:
                flagged[text] = (tid, ratio, tset)
        print(
            f"{path.name}: {len(questions)} questions; {len(flagged)} examples flagged "
            f"(ratio >= {args.threshold:g}, or token_set_ratio >= {args.threshold:g} at "
            f"comparable length); {loose} with token_set_ratio >= {args.threshold:g} "
            "at any length"
        )
        for text, (tid, ratio, tset) in flagged.items():
            print(f"  [{tid}] ratio={ratio:.0f} token_set={tset:.0f}  {text}")

        if args.prune:
            prune({text for text, (tid, _, _) in flagged.items() if tid != "null"})

    for error in errors:
        print("ERROR", error, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
