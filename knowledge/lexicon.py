"""Loads `knowledge/lexicon/`: abbreviations, fillers, common words, out-of-scope subjects
and the matcher's tuned parameters."""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

from knowledge.search.matcher import MatcherParams
from knowledge.search.normalise import Lexicon, fold, unify_spelling
from knowledge.yamlfile import KnowledgeError, LineDict, load_yaml


@dataclass(frozen=True, slots=True)
class OutOfScope:
    """A subject outside khuyến công, with where to ask instead."""

    id: str
    reply: str
    examples: tuple[str, ...]
    # Optional: a short message made only of these folded words is this subject (small talk:
    # greetings, thanks, "ok", "dạ vâng"), whatever the voters would say.
    words: frozenset[str] = frozenset()

    # "dạ được ạ" is an acknowledgement; five words and more are a question with manners.
    MAX_WORDS = 5

    def matches_words(self, text: str) -> bool:
        if not self.words:
            return False
        found = "".join(ch if ch.isalnum() else " " for ch in fold(text)).split()
        return 0 < len(found) < self.MAX_WORDS and all(w in self.words for w in found)


@dataclass(frozen=True)
class LexiconData:
    lexicon: Lexicon
    out_of_scope: tuple[OutOfScope, ...]
    params: MatcherParams

    def small_talk(self, text: str) -> OutOfScope | None:
        """The subject whose `words` make up the whole message ("ok", "cảm ơn", "dạ vâng")."""
        return next((s for s in self.out_of_scope if s.matches_words(text)), None)


def _folded_words(path: Path, line: int, value: object) -> tuple[str, ...]:
    if not isinstance(value, str) or not value.strip():
        raise KnowledgeError(path, line, "expected a non-empty text")
    return tuple(unify_spelling(w) for w in fold(value).split())


def _word_list(path: Path, data: LineDict, key: str) -> frozenset[str]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise KnowledgeError(path, data.line_of(key), f"'{key}' must be a list")
    return frozenset(unify_spelling(fold(str(v))) for v in value)


def _abbreviations(path: Path, data: LineDict) -> dict[str, tuple[str, ...]]:
    table = data.get("abbreviations")
    if not isinstance(table, LineDict):
        raise KnowledgeError(path, data.line, "'abbreviations' must be a mapping")
    out: dict[str, tuple[str, ...]] = {}
    for key, value in table.items():
        line = table.line_of(key)
        readings = value if isinstance(value, list) else [value]
        folded: list[str] = []
        for reading in readings:
            folded.extend(_folded_words(path, line, reading))
        out[unify_spelling(fold(str(key)))] = tuple(dict.fromkeys(folded))
    for key, words in out.items():
        # Expansions must not be abbreviations again, or normalising would not be idempotent.
        clash = [w for w in words if w in out]
        if clash:
            raise KnowledgeError(
                path, table.line_of(key), f"expansion of {key!r} uses abbreviation {clash[0]!r}"
            )
    return out


def _out_of_scope(path: Path) -> tuple[OutOfScope, ...]:
    data = load_yaml(path)
    if not isinstance(data, list):
        raise KnowledgeError(path, 1, "expected a list of subjects")
    subjects, seen = [], set()
    for item in data:
        if not isinstance(item, LineDict):
            raise KnowledgeError(path, None, "each subject must be a mapping")
        sid, reply, examples = item.get("id"), item.get("reply"), item.get("examples")
        if not isinstance(sid, str) or not sid or sid in seen:
            raise KnowledgeError(path, item.line, f"missing or duplicate id {sid!r}")
        if not isinstance(reply, str) or not reply.strip():
            raise KnowledgeError(path, item.line_of("reply"), f"{sid}: 'reply' is required")
        if not isinstance(examples, list) or len(examples) < 2:
            raise KnowledgeError(path, item.line_of("examples"), f"{sid}: need 2+ examples")
        words = item.get("words", [])
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            raise KnowledgeError(path, item.line_of("words"), f"{sid}: 'words' must be texts")
        seen.add(sid)
        folded = frozenset(part for w in words for part in fold(w).split())
        subjects.append(OutOfScope(sid, reply.strip(), tuple(str(e) for e in examples), folded))
    return tuple(subjects)


def _params(path: Path) -> MatcherParams:
    data = load_yaml(path)
    if not isinstance(data, LineDict):
        raise KnowledgeError(path, 1, "expected a mapping of parameters")
    known = {f.name for f in fields(MatcherParams)}
    values: dict[str, float | int] = {}
    for key, value in data.items():
        if key not in known:
            raise KnowledgeError(path, data.line_of(key), f"unknown parameter {key!r}")
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise KnowledgeError(path, data.line_of(key), f"{key} must be a number")
        values[key] = int(value) if key == "shortlist" else float(value)
    params = MatcherParams(**values)  # type: ignore[arg-type]
    if not 0 <= params.threshold <= 1:
        raise KnowledgeError(path, data.line_of("threshold"), "threshold must be in [0, 1]")
    return params


def load_lexicon(folder: Path) -> LexiconData:
    path = folder / "abbreviations.yaml"
    data = load_yaml(path)
    if not isinstance(data, LineDict):
        raise KnowledgeError(path, 1, "expected a mapping")
    abbreviations = _abbreviations(path, data)
    words_path = folder / "words.yaml"
    words_data = load_yaml(words_path)
    if not isinstance(words_data, LineDict):
        raise KnowledgeError(words_path, 1, "expected a mapping with 'words'")
    words = _folded_words(words_path, words_data.line_of("words"), words_data.get("words"))
    lexicon = Lexicon(
        abbreviations,
        _word_list(path, data, "fillers"),
        frozenset(words),
        _word_list(path, data, "final_particles"),
    )
    return LexiconData(
        lexicon,
        _out_of_scope(folder / "out_of_scope.yaml"),
        _params(folder / "matcher.yaml"),
    )
