"""A whole intake over Zalo: signed webhooks in, the draft đề án delivered as a DOCX file."""

from __future__ import annotations

from datetime import timedelta

from tests.intake_helpers import ANSWERS, docx_sections
from tests.zalo_fake import post_event, text_event

USER = "8123456789012345678"


async def _say(zalo, text: str, n: int) -> None:
    # A tap on an oa.query.hide button arrives as a user_send_text carrying the payload.
    zalo.clock.advance(timedelta(seconds=20))
    event = text_event(USER, text, f"conv-{n}", zalo.clock.now())
    assert await post_event(zalo.http, zalo.url, event) == 200
    await zalo.channel.drain()


async def test_intake_over_zalo_ends_with_the_draft_as_a_file(zalo, tmp_path):
    script = ["menu:intake", "intake:consent_yes"]
    script += [entry.removeprefix("#") for _, entry in ANSWERS]
    script += ["intake:submit"]
    for n, text in enumerate(script):
        await _say(zalo, text, n)
    texts = zalo.fake.texts_to(USER)
    assert any("91/2025/QH15" in t for t in texts), "the consent question was shown"
    [(token, name, content)] = zalo.fake.uploads
    assert name.startswith("De-an-khuyen-cong_ho-kinh-doanh-bun-kho-minh-anh_")
    assert name.endswith("_v1.docx")
    file_messages = [
        m for m in zalo.fake.delivered if m["message"].get("attachment", {}).get("type") == "file"
    ]
    assert [m["message"]["attachment"]["payload"] for m in file_messages] == [{"token": "file-1"}]
    assert file_messages[0]["recipient"] == {"user_id": USER}
    draft = tmp_path / "received.docx"
    draft.write_bytes(content)
    sections = docx_sections(str(draft))
    assert "Hộ kinh doanh Bún khô Minh Anh" in next(
        t for h, t in sections.items() if h.startswith("I.")
    )
    assert all(len(t) <= 2000 for t in texts)
