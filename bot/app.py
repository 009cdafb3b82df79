"""Composition root: builds the database, knowledge base, core and dispatcher from Settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TextIO

from bot.channels.base import ChannelDeps
from bot.clock import SystemClock
from bot.config import Settings
from bot.db.engine import Database
from bot.db.migrate import upgrade
from bot.dispatcher import Dispatcher
from bot.drafts import DocxRenderer
from bot.metrics import Metrics
from handlers.capability import Capability
from handlers.context import CoreConfig
from handlers.core import Core
from handlers.eligibility import EligibilityCapability
from handlers.faq import FaqCapability
from handlers.intake import IntakeCapability
from handlers.menu import MenuCapability
from handlers.ports import Clock
from handlers.reminders import RemindersCapability
from handlers.submissions import SubmissionsCapability
from knowledge import KnowledgeBase, load_knowledge


@dataclass
class App:
    settings: Settings
    db: Database
    kb: KnowledgeBase
    core: Core
    dispatcher: Dispatcher
    clock: Clock

    async def close(self) -> None:
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
        )


def build_capabilities(kb: KnowledgeBase) -> list[Capability]:
    caps: dict[str, Capability] = {}
    caps["faq"] = FaqCapability()
    caps["elig"] = EligibilityCapability(kb.eligibility)
    renderer = DocxRenderer()
    caps["intake"] = IntakeCapability(renderer)
    caps["sub"] = SubmissionsCapability(renderer)
    caps["rem"] = RemindersCapability()
    caps["menu"] = MenuCapability(caps.get)
    return list(caps.values())


def core_config(settings: Settings) -> CoreConfig:
    return CoreConfig(
        timezone=settings.tz,
        officer_ids=settings.officer_ids,
        officer_chat=settings.officer_chat,
        data_dir=str(settings.data_dir),
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
    core = Core(build_capabilities(kb))
    clock = clock or SystemClock()
    dispatcher = Dispatcher(db, core, kb, core_config(settings), clock)
    return App(settings, db, kb, core, dispatcher, clock)
