"""Free-text questions outside any flow: answered from the knowledge base."""

from __future__ import annotations

from handlers.capability import Capability
from handlers.context import Context
from handlers.menu import main_menu, menu_button
from handlers.messages import Reply


class FaqCapability(Capability):
    name = "faq"

    async def start(self, ctx: Context) -> list[Reply]:
        return [Reply(ctx.text("faq.prompt"), (menu_button(ctx),))]

    async def on_text(self, ctx: Context, text: str) -> list[Reply]:
        return [main_menu(ctx, ctx.text("faq.not_yet"))]
