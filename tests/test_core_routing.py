"""Routing through the real dispatcher and database: commands, buttons, bad input."""

import pytest

from handlers.capability import Capability
from handlers.core import Core, clean_text
from handlers.messages import IncomingMessage, Reply
from tests.intake_helpers import start_with_consent

MENU = ["Hỏi đáp khuyến công", "Kiểm tra điều kiện", "Soạn đề án", "Nhắc hạn", "Liên hệ cán bộ"]


async def test_start_greets_with_the_five_menu_buttons(chat):
    await chat.say("/start")
    assert "Trợ lý Khuyến công" in chat.text
    assert chat.buttons == MENU
    assert all(len(p.encode()) <= 64 for p in chat.payloads)


@pytest.mark.parametrize("command", ["/menu", "/MENU", "menu", "/menu@KhuyenCongBot"])
async def test_menu_command_variants(chat, command):
    await chat.say(command)
    assert chat.buttons == MENU


async def test_help_lists_the_commands(chat):
    await chat.say("/giup")
    assert "/huy" in chat.text
    assert "/menu" in chat.text


async def test_contact_button_says_where_to_ask(chat):
    await chat.say("/start")
    await chat.press_label("Liên hệ cán bộ")
    assert "Sở Công Thương" in chat.text


@pytest.mark.parametrize(
    "text",
    ["", "   ", "\x00\x07\x1b", "😀🎉👍", "a" * 10_000, "/khonglenhnay", "\u200b\u200b"],
    ids=["empty", "spaces", "control", "emoji", "huge", "unknown-command", "zero-width"],
)
async def test_bad_text_gets_a_polite_reply_and_the_menu(chat, text):
    replies = await chat.say(text)
    assert len(replies) == 1
    assert chat.text.startswith("Dạ")
    assert chat.buttons == MENU


@pytest.mark.parametrize("payload", ["nope:1", "menu:", "menu:xyz", ":", "elig", "x" * 300])
async def test_unknown_or_old_buttons_are_refused_politely(chat, payload):
    await chat.press(payload)
    assert "nút này đã cũ" in chat.text
    assert chat.buttons == MENU


@pytest.mark.parametrize("kind", ["photo", "sticker", "voice", "location", "edited"])
async def test_non_text_messages_get_a_polite_reply(chat, kind):
    replies = await chat.send(IncomingMessage("console", "owner-1", "owner-1", kind=kind))
    assert replies[0].text.startswith("Dạ")


async def test_an_edited_question_outside_a_flow_is_answered_as_new_text(chat):
    edited = IncomingMessage(
        "console", "owner-1", "owner-1", text="ho tro\u00a0may moc bao nhieu", kind="edited"
    )
    await chat.send(edited)
    assert "300 triệu đồng" in chat.text


async def test_an_edit_of_no_known_answer_inside_a_flow_is_read_as_new_text(chat):
    """Issue 15: only the latest answer's message is re-applied (tests/test_corrections.py);
    an edit of any other message is new text — here, the answer to the question on screen."""
    await start_with_consent(chat)
    assert "họ và tên" in chat.text
    await chat.send(
        IncomingMessage("console", "owner-1", "owner-1", text="Nguyễn Văn An", kind="edited")
    )
    assert "điện thoại" in chat.text


def test_clean_text_removes_controls_and_normalises():
    assert clean_text("  ho\x00 tro\n\tmay  ") == "ho tro may"
    assert clean_text("Hỗ trợ") == "Hỗ trợ"
    assert clean_text("Ho\u0302\u0303 tro") == clean_text("Hỗ tro")  # NFD input becomes NFC
    assert clean_text(None) == ""


class _Notebook(Capability):
    """A test flow that stores each line it is told, so state changes can be observed."""

    name = "note"

    async def start(self, ctx):
        ctx.state.enter(self.name, "writing")
        return [Reply("Dạ, anh/chị ghi đi ạ.")]

    async def on_text(self, ctx, text):
        ctx.state.bucket(self.name).setdefault("lines", []).append(text)
        return [Reply(f"Đã ghi {text}")]

    async def on_payload(self, ctx, action):
        if action == "boom":
            ctx.state.bucket(self.name)["half"] = "written"
            raise RuntimeError("a bug in a handler")
        return await super().on_payload(ctx, action)


@pytest.fixture
def notebook_app(app):
    """The real app whose core also knows the test flow."""
    caps = [*app.core._caps.values(), _Notebook()]
    app.dispatcher.core = Core(caps)
    return app


async def test_cancel_leaves_the_flow_but_keeps_what_was_entered(notebook_app, chat):
    await chat.press("note:start")
    await chat.say("dòng một")
    await chat.say("/huy")
    assert "vẫn được giữ" in chat.text
    await chat.say("hỏi gì đó")  # now outside the flow: goes to question answering
    assert "Đã ghi" not in chat.text
    await chat.press("note:start")
    await chat.say("dòng hai")
    state = await _state(notebook_app, "owner-1")
    assert state.data["note"]["lines"] == ["dòng một", "dòng hai"]


async def test_a_failing_handler_keeps_the_previous_state(notebook_app, chat):
    await chat.press("note:start")
    await chat.say("trước lỗi")
    await chat.press("note:boom")
    assert "sự cố" in chat.text
    state = await _state(notebook_app, "owner-1")
    assert state.data["note"] == {"lines": ["trước lỗi"]}
    assert state.flow == "note"


async def _state(app, user):
    from sqlalchemy import select

    from bot.db.models import User
    from bot.db.repositories import CoreRepository

    async with app.db.transaction() as session:
        user_id = (
            await session.execute(select(User.id).where(User.external_id == user))
        ).scalar_one()
        return await CoreRepository(session).load_state(user_id)
