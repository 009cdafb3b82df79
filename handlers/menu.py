"""The main menu: five entry points, and the capability that dispatches them."""

from __future__ import annotations

from collections.abc import Callable

from handlers.capability import Capability, StaleButton
from handlers.context import Context
from handlers.messages import Button, Reply

# Menu entries: (text key of the label, capability that answers it).
MENU_ENTRIES = (
    ("menu.faq", "faq"),
    ("menu.eligibility", "elig"),
    ("menu.intake", "intake"),
    ("menu.reminders", "rem"),
    ("menu.contact", "contact"),
)


def menu_payload(target: str) -> str:
    """The payload that opens a menu entry (a target of MENU_ENTRIES), also used for a
    topic's `next:` steps (knowledge/topics.py NEXT_STEPS)."""
    return f"menu:{target}"


def main_menu(ctx: Context, text: str) -> Reply:
    buttons = tuple(Button(ctx.text(label), menu_payload(t)) for label, t in MENU_ENTRIES)
    return Reply(text, buttons)


def menu_button(ctx: Context) -> Button:
    return Button(ctx.text("menu.back_to_menu"), "menu:show")


class MenuCapability(Capability):
    """Owns `menu:*` payloads and hands each entry to the capability that implements it."""

    name = "menu"

    def __init__(self, lookup: Callable[[str], Capability | None]) -> None:
        self._lookup = lookup

    async def on_payload(self, ctx: Context, action: str) -> list[Reply]:
        if action == "show":
            ctx.state.leave()
            return [main_menu(ctx, ctx.text("core.menu"))]
        if action == "contact":
            return [contact_reply(ctx)]
        if action not in {target for _, target in MENU_ENTRIES}:
            raise StaleButton
        target = self._lookup(action)
        if target is None:
            return [main_menu(ctx, ctx.text("core.not_yet"))]
        return await target.start(ctx)


def contact_reply(ctx: Context) -> Reply:
    """Where to reach a khuyến công officer; local details come from the province overlay."""
    ask = Button(ctx.text("officer.ask_button"), "officer:ask")  # handlers/tickets.py
    return Reply(ctx.kb.contact_text(), (ask, menu_button(ctx)))
