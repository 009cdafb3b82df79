"""AbstainedQuestionsPort (handlers.ports) on every database."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import START


async def test_counts_group_by_key_most_frequent_first(unit):
    async def record(key: str, text: str, at=START):
        async def work(store):
            await store.faq.record(key=key, text=text, reason="low", now=at)

        await unit(work)

    await record("gia dien", "giá điện bao nhiêu")
    await record("xe tai", "xe tải")
    await record("gia dien", "Giá điện?", START + timedelta(minutes=5))
    top = await unit(lambda store: store.faq.most_frequent(5))
    assert [(q.count, q.last_seen_at) for q in top] == [
        (2, START + timedelta(minutes=5)),
        (1, START),
    ]
    assert len(await unit(lambda store: store.faq.most_frequent(1))) == 1
