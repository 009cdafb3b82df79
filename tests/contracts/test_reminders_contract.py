"""RemindersPort (handlers.deadline_store) on every database."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from handlers.deadlines import Audience, DeadlineDraft
from tests.conftest import START

DRAFT = DeadlineDraft("Nộp đề án", date(2027, 3, 10), source="Sở Công Thương")


async def test_deadlines_add_update_delete_list(unit, new_user):
    officer = await new_user("officer")

    async def add(store):
        return await store.reminders.add_deadline(DRAFT, officer, START)

    did = await unit(add)

    async def check(store):
        reminders = store.reminders
        view = await reminders.get_deadline(did)
        assert view is not None
        assert (view.revision, view.draft.title) == (1, "Nộp đề án")
        changed = replace(DRAFT, title="Nộp đề án (gia hạn)", due_on=date(2027, 3, 20))
        assert await reminders.update_deadline(did, changed, START + timedelta(hours=1))
        view = await reminders.get_deadline(did)
        assert view is not None
        assert (view.revision, view.draft.due_on) == (2, date(2027, 3, 20))
        listed = await reminders.list_deadlines("calendar", date(2027, 1, 1))
        assert [v.id for v in listed] == [did]
        assert await reminders.list_deadlines("calendar", date(2027, 4, 1)) == []
        assert await reminders.delete_deadline(did, START)
        assert not await reminders.delete_deadline(did, START), "deleted once"
        assert await reminders.get_deadline(did) is None

    await unit(check)


async def test_subscription_audience_and_done(unit, new_user):
    owner = await new_user("owner-1")

    async def work(store):
        reminders = store.reminders
        assert await reminders.subscription(owner) is None
        await reminders.set_subscription(owner, True, START, sector="tieu_thu_cong_nghiep")
        view = await reminders.subscription(owner)
        assert view is not None
        assert (view.subscribed, view.sector) == (True, "tieu_thu_cong_nghiep")
        assert await reminders.count_audience(Audience("all")) == 1
        assert await reminders.count_audience(Audience("sector", "gach_nung_thu_cong")) == 0
        assert await reminders.find_user("console", "owner-1") == owner
        assert await reminders.find_user("console", "nobody") is None
        did = await reminders.add_deadline(DRAFT, None, START)
        upcoming = await reminders.upcoming_for_user(owner, date(2027, 1, 1))
        assert [v.id for v in upcoming] == [did]
        assert await reminders.mark_done(did, owner, START)
        assert await reminders.upcoming_for_user(owner, date(2027, 1, 1)) == []
        await reminders.set_subscription(owner, False, START)
        assert await reminders.count_audience(Audience("all")) == 0

    await unit(work)
