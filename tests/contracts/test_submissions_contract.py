"""SubmissionStore (handlers.ports) on every database."""

from __future__ import annotations

ANSWERS = {"establishment_name": "Cơ sở bún Tư Hải", "total_cost": 300_000_000}


async def test_consent_create_drafts_status_and_erase(unit, new_user):
    owner = await new_user("owner-1")

    async def first(store):
        subs = store.submissions
        assert not await subs.has_consent(owner, "v1")
        await subs.record_consent(owner, "v1")
        assert await subs.has_consent(owner, "v1")
        assert not await subs.has_consent(owner, "v2"), "a new consent text asks again"
        sid = await subs.create(
            user_id=owner, owner_target="console:owner-1", establishment="Tư Hải", answers=ANSWERS
        )
        assert await subs.next_draft_version(sid) == 1
        await subs.add_draft(sid, 1, "/tmp/d1.docx", "d1.docx")
        assert await subs.next_draft_version(sid) == 2
        return sid

    sid = await unit(first)

    async def later(store):
        subs = store.submissions
        await subs.set_status(sid, "acknowledged", actor="officer", note="đủ hồ sơ")
        await subs.update_answers(sid, "Tư Hải 2", ANSWERS | {"total_cost": 1})
        record = await subs.get(sid)
        assert record is not None
        assert (record.status, record.establishment) == ("acknowledged", "Tư Hải 2")
        assert (record.draft_version, record.draft_name) == (1, "d1.docx")
        assert record.answers["total_cost"] == 1
        assert [r.id for r in await subs.for_user(owner)] == [sid]
        assert [r.id for r in await subs.by_status("acknowledged")] == [sid]
        assert await subs.by_status("rejected") == []
        assert await subs.get(sid + 1000) is None
        return await subs.erase_user(owner)

    assert await unit(later) == ["/tmp/d1.docx"]

    async def after(store):
        subs = store.submissions
        return await subs.get(sid), await subs.has_consent(owner, "v1")

    assert await unit(after) == (None, False)
