"""`/hieuqua` for officers: the effectiveness report after support, in chat."""

from __future__ import annotations

import re
from collections.abc import Mapping

from handlers.capability import Capability, CommandHandler, officer_only
from handlers.context import Context
from handlers.effectiveness_view import labels_of, render_sections
from handlers.messages import Reply
from knowledge.followup.effectiveness import compute

# Telegram caps one message at 4,096 characters; blocks are packed below that.
_MESSAGE_LIMIT = 3800
_PROVINCE_CODE = re.compile(r"^[a-z][a-z_]{1,39}$")


def pack(blocks: list[str], limit: int = _MESSAGE_LIMIT) -> list[str]:
    """Join text blocks into as few messages as fit `limit`; a longer block is cut by lines."""
    messages: list[str] = []
    current = ""
    for block in blocks:
        pieces = [block] if len(block) <= limit else block.split("\n")
        for piece in pieces:
            candidate = f"{current}\n\n{piece}" if current else piece
            if len(candidate) <= limit:
                current = candidate
            else:
                if current:
                    messages.append(current)
                current = piece[:limit]
    if current:
        messages.append(current)
    return messages


class EffectivenessCapability(Capability):
    name = "eff"

    def commands(self) -> Mapping[str, CommandHandler]:
        return {"hieuqua": officer_only(self._report)}

    async def _report(self, ctx: Context, argument: str) -> list[Reply]:
        province: str | None = None
        year: int | None = None
        for token in argument.lower().split():
            if token.isdigit() and len(token) == 4:
                year = int(token)
            elif _PROVINCE_CODE.match(token):
                province = token
            else:
                return [Reply(ctx.text("report.usage"))]
        rows = await ctx.store.checkins.report_rows()
        report = compute(rows, province=province, year=year)
        blocks = render_sections(ctx.kb.ui, report, labels_of(ctx.kb), ctx.local_now.date())
        return [Reply(text) for text in pack(blocks)]
