"""Composition root: builds the database, knowledge base, core and dispatcher from Settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TextIO

from bot.answering import attach_answer_models
from bot.channels.base import ChannelDeps
from bot.clock import SystemClock
from bot.config import Settings
from bot.db.engine import Database
from bot.db.migrate import upgrade
from bot.dispatcher import Dispatcher
from bot.drafts import DocxRenderer
from bot.metrics import Metrics
from handlers.capability import Capability
from handlers.checkins import CheckinsCapability
from handlers.context import CoreConfig
from handlers.core import Core
from handlers.effectiveness import EffectivenessCapability
from handlers.eligibility import EligibilityCapability
from handlers.faq import FaqCapability
from handlers.intake import IntakeCapability
from handlers.menu import MenuCapability
from handlers.ports import Clock
from handlers.reminders import RemindersCapability
from handlers.submissions import SubmissionsCapability
from handlers.tickets import TicketsCapability
from knowledge import KnowledgeBase, load_knowledge


@dataclass
class App:
    settings: Settings
    db: Database
    kb: KnowledgeBase
    core: Core
    dispatcher: Dispatcher
    clock: Clock
    # The knowledge base as loaded from knowledge/, before officer examples are merged in
    # (bot/officer_web/examples.py); `kb` is what answers, swapped when they change.
    base_kb: KnowledgeBase | None = None

    async def close(self) -> None:
        from bot.officer_web.examples import training_done

        await training_done()  # an officer's assignment may still be training the models
        await self.db.dispose()

    def channel_deps(
        self,
        metrics: Metrics | None = None,
        *,
        console_out: TextIO | None = None,
        interactive: bool = True,
    ) -> ChannelDeps:
        """What channels get from the application: named parts, never the App itself."""
        core = self.core
        return ChannelDeps(
            settings=self.settings,
            db=self.db,
            ui=self.kb.ui,
            clock=self.clock,
            handle=self.dispatcher.handle,
            metrics=metrics or Metrics(),
            is_payload_prefix=lambda prefix: core.capability(prefix) is not None,
            console_out=console_out,
            interactive=interactive,
            officer_commands=tuple(core.officer_commands()),
        )


def build_capabilities(kb: KnowledgeBase) -> list[Capability]:
    caps: dict[str, Capability] = {}
    caps["faq"] = FaqCapability()
    caps["elig"] = EligibilityCapability(kb.eligibility)
    renderer = DocxRenderer()
    caps["intake"] = IntakeCapability(renderer)
    caps["sub"] = SubmissionsCapability(renderer)
    caps["rem"] = RemindersCapability()
    caps["chk"] = CheckinsCapability()
    caps["eff"] = EffectivenessCapability()
    caps["officer"] = TicketsCapability()
    caps["menu"] = MenuCapability(caps.get)
    return list(caps.values())


def core_config(settings: Settings) -> CoreConfig:
    return CoreConfig(
        timezone=settings.tz,
        officer_ids=settings.officer_ids,
        officer_chat=settings.officer_chat,
        data_dir=str(settings.data_dir),
        web_url=f"{settings.public_url.rstrip('/')}/officer/" if settings.public_url else None,
    )


async def build_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    kb: KnowledgeBase | None = None,
    migrate: bool = True,
) -> App:
    db = Database(settings.database_url, pool_size=settings.database_pool_size)
    if migrate:
        await upgrade(db)
    kb = kb or load_knowledge(province=settings.province)
    if kb.qa is not None and kb.qa.models is None:
        attach_answer_models(kb, settings, background=True)
    core = Core(build_capabilities(kb))
    clock = clock or SystemClock()
    dispatcher = Dispatcher(db, core, kb, core_config(settings), clock)
    app = App(settings, db, kb, core, dispatcher, clock, base_kb=kb)
    if migrate:
        from bot.officer_web.examples import with_officer_examples

        await with_officer_examples(app)
    return app
