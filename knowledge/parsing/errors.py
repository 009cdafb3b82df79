"""The one error every parser raises: a ValueError with a polite Vietnamese explanation."""

from __future__ import annotations


class ParseError(ValueError):
    """Input that could not be understood; `.message` tells the owner why, with an example."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
