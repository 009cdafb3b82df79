"""Webhook mode on our aiohttp server; /healthz and /metrics of the same server."""

from __future__ import annotations

import asyncio

import aiohttp

from bot.service import Service
from tests.telegram_harness import WEBHOOK_SECRET as SECRET

OWNER = 4242


async def _post(service: Service, update: dict, secret: str | None) -> int:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    url = f"http://127.0.0.1:{service.port}/webhooks/telegram"
    async with aiohttp.ClientSession() as http, http.post(url, json=update, headers=headers) as r:
        return r.status


async def test_webhook_registered_with_secret(webhook_service, fake):
    [call] = fake.made("setWebhook")
    assert call.params["url"] == "https://bot.example.vn/webhooks/telegram"
    assert call.params["secret_token"] == SECRET
    assert "callback_query" in call.params["allowed_updates"]
    assert fake.made("deleteWebhook") == [], "webhook mode does not poll"


async def test_signed_update_accepted_forged_rejected(webhook_service, fake):
    forged = fake.text_update(OWNER, "/start", update_id=10)
    assert await _post(webhook_service, forged, "wrong") == 403
    assert await _post(webhook_service, forged, None) == 403
    await asyncio.sleep(0.2)
    assert fake.made("sendMessage") == [], "a forged update is not handled"
    signed = fake.text_update(OWNER, "/start", update_id=11)
    assert await _post(webhook_service, signed, SECRET) == 200
    [sent] = await fake.wait_for("sendMessage", OWNER)
    assert sent.params["text"].startswith("Dạ, em chào")


async def test_malformed_body_is_400(webhook_service):
    url = f"http://127.0.0.1:{webhook_service.port}/webhooks/telegram"
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    async with aiohttp.ClientSession() as http:
        async with http.post(url, data=b"{not json", headers=headers) as r:
            assert r.status == 400
        async with http.post(url, json=[1, 2], headers=headers) as r:
            assert r.status == 400
        # Authenticated, with an update id, but not an update PTB can read: 400, not 500.
        for body in (
            {"update_id": 5, "message": "x"},
            {"update_id": 6, "message": {"chat": 1}},
            {"update_id": 7, "callback_query": []},
        ):
            async with http.post(url, json=body, headers=headers) as r:
                assert r.status == 400, body


async def test_redelivered_update_is_handled_once(webhook_service, fake):
    update = fake.text_update(OWNER, "/start", update_id=77)
    assert await _post(webhook_service, update, SECRET) == 200
    await fake.wait_for("sendMessage", OWNER)
    assert await _post(webhook_service, update, SECRET) == 200  # Telegram's retry
    follow_up = fake.text_update(OWNER, "/menu", update_id=78)
    assert await _post(webhook_service, follow_up, SECRET) == 200
    sent = await fake.wait_for("sendMessage", OWNER, count=2)
    await asyncio.sleep(0.1)
    assert len(fake.made("sendMessage", OWNER)) == 2
    assert sent[1].params["text"] == "Dạ, anh/chị muốn làm gì tiếp ạ?"
    metrics = webhook_service.metrics.render().decode()
    assert 'bot_duplicates_total{channel="telegram"} 1.0' in metrics
    assert 'bot_messages_in_total{channel="telegram"} 2.0' in metrics


async def test_healthz_and_metrics(webhook_service):
    base = f"http://127.0.0.1:{webhook_service.port}"
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/healthz") as r:
            assert r.status == 200
            body = await r.json()
        assert body == {"status": "ok", "database": True, "scheduler": True, "telegram": "webhook"}
        async with http.get(f"{base}/metrics") as r:
            assert r.status == 200
            assert r.headers["Content-Type"].startswith("text/plain")
            text = await r.text()
        assert "bot_outbox_lag_seconds 0.0" in text
        assert "# TYPE bot_messages_out_total counter" in text
        webhook_service.ticker.shutdown()
        async with http.get(f"{base}/healthz") as r:
            assert r.status == 503
            assert (await r.json())["scheduler"] is False
