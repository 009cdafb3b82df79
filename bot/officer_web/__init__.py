"""The officers' web page under `/officer/` on the service's aiohttp server (issue 13).

Server-rendered Jinja2 templates (templates/), a stylesheet and a little plain JS (static/),
all shipped in the package. Every page and action needs a session (auth.py); pages without
one answer with the sign-in page (GET) or 401 (other methods); a state-changing form without
the session's CSRF token gets 403. Officer actions reuse the chat's implementations
(handlers/submissions.py, handlers/tickets.py) through Dispatcher.run_as.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.officer_web.views import build_officer_app

__all__ = ["build_officer_app"]


def __getattr__(name: str) -> Any:
    # On first use: `chat` reaches bot.officer_web.examples (officers' example phrasings)
    # without the web stack (aiohttp, Jinja2: ~0.2 s of its start).
    if name == "build_officer_app":
        from bot.officer_web.views import build_officer_app

        return build_officer_app
    raise AttributeError(name)
