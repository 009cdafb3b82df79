"""Free-text questions outside any flow: answered from the knowledge base, with sources,
"Xem thêm" pages, the next sensible step, and honest abstention with the closest topics."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from handlers.capability import Capability, CommandHandler, StaleButton, officer_only
from handlers.context import Context
from handlers.menu import menu_button, menu_payload
from handlers.messages import Button, Reply
from knowledge.answers import AnswerResult, sources_of
from knowledge.citations import readable
from knowledge.parsing.numbers import parse_number
from knowledge.search.normalise import fold, redact
from knowledge.topics import Topic, status_text

# Telegram shows many buttons, Zalo fewer; six keeps a phone screen readable.
MAX_BUTTONS = 6
OFFICER_LIST_DEFAULT = 10
OFFICER_LIST_MAX = 30
NAME = "faq"
LAW_TOPIC = "van_ban_phap_ly"
# "văn bản nào quy định vậy em" is a follow-up; a longer sentence is a new question.
MAX_FOLLOWUP_WORDS = 8
# "căn cứ đâu" is a follow-up whatever topic its words happen to match best.
SHORT_FOLLOWUP_WORDS = 4


class FaqCapability(Capability):
    name = NAME

    def commands(self) -> Mapping[str, CommandHandler]:
        return {"cauhoi": officer_only(self._abstained_list)}

    async def start(self, ctx: Context) -> list[Reply]:
        return [Reply(ctx.text("faq.prompt"), (menu_button(ctx),))]

    async def on_text(self, ctx: Context, text: str) -> list[Reply]:
        last = ctx.state.bucket(NAME).get("last_topic")
        result = ctx.kb.answer(text)
        # "văn bản nào quy định?" right after an answer asks for that answer's texts, unless
        # the sentence is itself a question about another subject ("máy móc văn bản nào").
        short = len(re.findall(r"\w+", text)) <= SHORT_FOLLOWUP_WORDS
        same = short or result.topic in (None, LAW_TOPIC, last)
        follow_up = same and asks_for_sources(ctx, text)
        if isinstance(last, str) and _exists(ctx, last) and follow_up:
            ctx.emit("faq.sources_followup")
            return [self._sources_reply(ctx, _topic(ctx, last))]
        if result.topic is not None:
            ctx.emit("faq.answered")
            note = ctx.kb.province_note(text)
            # Two questions in one message: the main one answered, the other one button away.
            return [self._topic_reply(ctx, _topic(ctx, result.topic), note, also=result.also)]
        if result.reason == "small_talk":
            ctx.emit("faq.small_talk")
            return [self._abstain_reply(ctx, result)]
        ctx.emit("faq.abstained")
        if result.reason != "empty":
            await ctx.store.faq.record(
                key=result.normalised,
                text=_storable(text),
                reason=result.reason,
                now=ctx.now,
                user_id=ctx.user.id,
            )
        return [self._abstain_reply(ctx, result)]

    async def on_payload(self, ctx: Context, action: str) -> list[Reply]:
        kind, _, rest = action.partition(":")
        if kind == "t" and _exists(ctx, rest):
            ctx.emit("faq.topic_opened")
            return [self._topic_reply(ctx, _topic(ctx, rest))]
        if kind == "more":
            topic_id, _, number = rest.partition(":")
            page = parse_number(number) or 0 if number else 1
            if _exists(ctx, topic_id) and 1 <= page <= len(_topic(ctx, topic_id).more):
                return [self._more_reply(ctx, _topic(ctx, topic_id), page)]
        return await super().on_payload(ctx, action)

    def _topic_reply(
        self, ctx: Context, topic: Topic, note: str = "", also: tuple[str, ...] = ()
    ) -> Reply:
        assert ctx.kb.qa is not None
        # Kept for a follow-up "văn bản nào quy định?" (one JSON row per user).
        ctx.state.bucket(NAME)["last_topic"] = topic.id
        text = ctx.kb.qa.render(topic)
        buttons = [Button(_topic(ctx, t).title, f"faq:t:{t}") for t in also if _exists(ctx, t)]
        if topic.more:
            buttons.append(Button(ctx.text("faq.more"), f"faq:more:{topic.id}"))
        buttons += _next_buttons(ctx, topic)
        buttons += _related_buttons(ctx, topic, MAX_BUTTONS - 1 - len(buttons), also)
        buttons.append(menu_button(ctx))
        return Reply(f"{note}\n\n{text}" if note else text, tuple(buttons))

    def _sources_reply(self, ctx: Context, topic: Topic) -> Reply:
        """The legal texts behind the last answered topic, as an owner reads them."""
        items = "\n".join(f"• {readable(s)}" for s in sources_of(topic, ctx.kb.province_info))
        lines = [ctx.text("faq.sources_followup", title=topic.title, items=items)]
        status = status_text(ctx.kb.ui, topic.statuses)
        if status:
            lines.append(status)
        buttons = [Button(topic.title, f"faq:t:{topic.id}")]
        if topic.id != LAW_TOPIC and _exists(ctx, LAW_TOPIC):
            buttons.append(Button(_topic(ctx, LAW_TOPIC).title, f"faq:t:{LAW_TOPIC}"))
        buttons.append(menu_button(ctx))
        return Reply("\n\n".join(lines), tuple(buttons))

    def _more_reply(self, ctx: Context, topic: Topic, page: int) -> Reply:
        assert ctx.kb.qa is not None
        buttons = []
        if page < len(topic.more):
            buttons.append(Button(ctx.text("faq.more"), f"faq:more:{topic.id}:{page + 1}"))
        buttons += _next_buttons(ctx, topic)
        buttons += _related_buttons(ctx, topic, MAX_BUTTONS - 1 - len(buttons))
        buttons.append(menu_button(ctx))
        return Reply(ctx.kb.qa.render_more(topic, page), tuple(buttons))

    def _abstain_reply(self, ctx: Context, result: AnswerResult) -> Reply:
        buttons = [
            Button(_topic(ctx, tid).title, f"faq:t:{tid}")
            for tid in result.alternatives
            if _exists(ctx, tid)
        ]
        buttons.append(Button(ctx.text("faq.ask_officer"), "officer:ask"))  # handlers/tickets
        return Reply(result.answer, tuple(buttons))

    async def _abstained_list(self, ctx: Context, argument: str) -> list[Reply]:
        limit = OFFICER_LIST_DEFAULT
        asked = parse_number(argument, max_value=10**6)
        if asked is not None:
            limit = max(1, min(OFFICER_LIST_MAX, asked))
        rows = await ctx.store.faq.most_frequent(limit)
        if not rows:
            return [Reply(ctx.text("faq.officer.empty"), (menu_button(ctx),))]
        lines = [ctx.text("faq.officer.header")]
        for n, row in enumerate(rows, start=1):
            local = row.last_seen_at.astimezone(ctx.config.timezone)
            lines.append(
                ctx.text(
                    "faq.officer.row",
                    n=n,
                    text=row.text,
                    count=row.count,
                    date=local.strftime("%d/%m/%Y"),
                )
            )
        lines.append(ctx.text("faq.officer.hint"))
        return [Reply("\n".join(lines), (menu_button(ctx),))]


def asks_for_sources(ctx: Context, text: str) -> bool:
    """A short follow-up such as "văn bản nào quy định?", "căn cứ đâu", "luật nào" (the
    phrases are data: ui `faq.sources_phrases`, separated by ";")."""
    words = re.findall(r"\w+", fold(text))
    if not words or len(words) > MAX_FOLLOWUP_WORDS:
        return False
    folded = " ".join(words)
    phrases = (fold(p).strip() for p in ctx.text("faq.sources_phrases").split(";"))
    return any(p and f" {p} " in f" {folded} " for p in phrases)


def _exists(ctx: Context, topic_id: str) -> bool:
    return ctx.kb.topics is not None and topic_id in ctx.kb.topics


def _topic(ctx: Context, topic_id: str) -> Topic:
    if ctx.kb.topics is None or topic_id not in ctx.kb.topics:
        raise StaleButton
    return ctx.kb.topics[topic_id]


def _next_buttons(ctx: Context, topic: Topic) -> list[Button]:
    return [Button(ctx.text(f"faq.next_{step}"), menu_payload(step)) for step in topic.next]


def _related_buttons(
    ctx: Context, topic: Topic, room: int, skip: tuple[str, ...] = ()
) -> list[Button]:
    related = [r for r in topic.related if _exists(ctx, r) and r not in skip][: max(0, room)]
    return [Button(_topic(ctx, r).title, f"faq:t:{r}") for r in related]


def _storable(text: str) -> str:
    """What officers see: the wording, lower-cased, numbers that identify people removed."""
    cleaned = " ".join(unicodedata.normalize("NFC", text).lower().split())
    return redact(cleaned)[:300]
