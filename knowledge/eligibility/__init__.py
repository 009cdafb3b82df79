"""Eligibility for khuyến công support: rules as data, the engine, and reading free text."""

from knowledge.eligibility.answers import Answers, AnswersError, parse_answers
from knowledge.eligibility.engine import ASK_ORDER, Cited, Verdict, evaluate
from knowledge.eligibility.schema import EligibilityRules, load_rules

__all__ = [
    "ASK_ORDER",
    "Answers",
    "AnswersError",
    "Cited",
    "EligibilityRules",
    "Verdict",
    "evaluate",
    "load_rules",
    "parse_answers",
]
