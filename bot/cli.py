"""Command line of SPEC §1: chat, ask, eligibility, run, db, reminders, kb."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Sequence

from bot.config import ConfigError, Settings, load_settings
from knowledge import KnowledgeError, load_knowledge


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Trợ lý Khuyến công")
    sub = parser.add_subparsers(dest="command", required=True)

    chat = sub.add_parser("chat", help="trò chuyện với bot trên console")
    chat.add_argument("--user", default="console-user", help="mã người dùng (giữ hội thoại)")
    chat.add_argument("--json", action="store_true", help="mỗi câu trả lời là một dòng JSON")

    ask = sub.add_parser("ask", help="trả lời một câu hỏi")
    ask.add_argument("--json", action="store_true")
    ask.add_argument("question", help="câu hỏi, hoặc - để đọc từng dòng từ stdin")

    elig = sub.add_parser("eligibility", help="đánh giá điều kiện từ tệp câu trả lời JSON")
    elig.add_argument("--answers", required=True, help="tệp JSON, hoặc - cho stdin")
    elig.add_argument("--json", action="store_true")

    sub.add_parser("run", help="chạy dịch vụ (kênh, máy chủ HTTP, lịch nhắc)")

    db = sub.add_parser("db", help="cơ sở dữ liệu")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="áp dụng migration")

    rem = sub.add_parser("reminders", help="nhắc hạn")
    rem_sub = rem.add_subparsers(dest="reminders_command", required=True)
    dispatch = rem_sub.add_parser("dispatch", help="chạy một lượt gửi nhắc hạn")
    dispatch.add_argument("--now", help="thời điểm giả định, ISO 8601")

    kb = sub.add_parser("kb", help="cơ sở tri thức")
    kb_sub = kb.add_subparsers(dest="kb_command", required=True)
    kb_sub.add_parser("check", help="kiểm tra toàn bộ dữ liệu trong knowledge/")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"Lỗi cấu hình: {exc}", file=sys.stderr)
        return 2
    try:
        return _run(args, settings)
    except KnowledgeError as exc:
        print(f"Lỗi dữ liệu tri thức: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "chat":
        return asyncio.run(_chat(settings, args.user, args.json))
    if args.command == "ask":
        return asyncio.run(_ask(settings, args.question, args.json))
    if args.command == "db":
        return asyncio.run(_db_upgrade(settings))
    if args.command == "kb":
        return _kb_check(settings)
    if args.command == "run":
        return _serve(settings)
    print(f"Dạ, lệnh '{args.command}' đang được hoàn thiện.", file=sys.stderr)
    return 2


async def _chat(settings: Settings, user: str, json_mode: bool) -> int:
    from bot.app import build_app
    from bot.channels.console import run_console

    app = await build_app(settings)
    try:
        await run_console(
            app.dispatcher.handle,
            user_id=user,
            json_mode=json_mode,
            stdin=sys.stdin,
            stdout=sys.stdout,
        )
    finally:
        await app.close()
    return 0


def _serve(settings: Settings) -> int:
    from bot.service import run

    logging.getLogger().setLevel(logging.INFO)
    try:
        return asyncio.run(run(settings))
    except ConfigError as exc:
        print(f"Lỗi cấu hình: {exc}", file=sys.stderr)
        return 2


async def _ask(settings: Settings, question: str, json_mode: bool) -> int:
    kb = load_knowledge(province=settings.province)
    questions = sys.stdin.read().splitlines() if question == "-" else [question]
    for q in questions:
        result = {
            "question": q,
            "topic": None,
            "confidence": 0.0,
            "answer": kb.ui.text("faq.not_yet"),
            "sources": [],
            "alternatives": [],
        }
        print(json.dumps(result, ensure_ascii=False) if json_mode else result["answer"])
    return 0


async def _db_upgrade(settings: Settings) -> int:
    from bot.db.engine import Database
    from bot.db.migrate import upgrade

    db = Database(settings.database_url)
    try:
        await upgrade(db)
    finally:
        await db.dispose()
    print("Dạ, cơ sở dữ liệu đã được cập nhật.")
    return 0


def _kb_check(settings: Settings) -> int:
    kb = load_knowledge(province=settings.province)
    for name, count in kb.counts().items():
        print(f"{name}: {count}")
    print("OK")
    return 0
