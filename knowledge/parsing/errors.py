"""The one error every parser raises, carrying a polite Vietnamese message for the user."""

from __future__ import annotations


class ParseError(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
