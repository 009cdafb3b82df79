"""Command line of SPEC §1: chat, ask, eligibility, run, db, reminders, kb, report."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from knowledge import KnowledgeBase, KnowledgeError, load_knowledge

if TYPE_CHECKING:
    from bot.config import Settings


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

    report = sub.add_parser("report", help="báo cáo")
    report_sub = report.add_subparsers(dest="report_command", required=True)
    eff = report_sub.add_parser("effectiveness", help="hiệu quả sau hỗ trợ khuyến công")
    eff.add_argument("--province", help="mã tỉnh, ví dụ quang_ninh")
    eff.add_argument("--year", type=int, help="năm hoàn thành đề án, ví dụ 2027")
    eff.add_argument("--format", choices=("text", "json", "xlsx"), default="text")
    eff.add_argument("--output", type=Path, help="tệp kết quả (bắt buộc với xlsx)")

    kb = sub.add_parser("kb", help="cơ sở tri thức")
    kb_sub = kb.add_subparsers(dest="kb_command", required=True)
    check = kb_sub.add_parser("check", help="kiểm tra toàn bộ dữ liệu trong knowledge/")
    check.add_argument("--root", type=Path, default=None, help="thư mục tri thức khác (thử)")
    build = kb_sub.add_parser("build", help="huấn luyện bộ phân loại, tính embedding câu mẫu")
    build.add_argument("--force", action="store_true", help="xây lại dù dữ liệu không đổi")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    from bot.config import ConfigError, load_settings

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
        return _ask(settings, args.question, args.json)
    if args.command == "db":
        return asyncio.run(_db_upgrade(settings))
    if args.command == "kb" and args.kb_command == "build":
        return _kb_build(settings, args.force)
    if args.command == "kb":
        return _kb_check(settings, args.root)
    if args.command == "eligibility":
        return _eligibility(settings, args.answers, args.json)
    if args.command == "reminders":
        from bot.reminders_command import dispatch_command

        return asyncio.run(dispatch_command(settings, args.now, sys.stdout))
    if args.command == "run":
        return _serve(settings)
    if args.command == "report":
        return _report(settings, args)
    print(f"Dạ, lệnh '{args.command}' đang được hoàn thiện.", file=sys.stderr)
    return 2


async def _chat(settings: Settings, user: str, json_mode: bool) -> int:
    from bot.app import build_app
    from bot.channels.console.io import memory_path, run_console

    app = await build_app(settings)
    try:
        await run_console(
            app.dispatcher.handle,
            user_id=user,
            json_mode=json_mode,
            stdin=sys.stdin,
            stdout=sys.stdout,
            memory=memory_path(str(settings.data_dir), user),
            # A person at the console is greeted; a script reading --json gets replies only.
            greet=not json_mode,
        )
    finally:
        await app.close()
    return 0


def _report(settings: Settings, args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from bot.report_command import effectiveness_command

    return effectiveness_command(
        settings,
        province=args.province,
        year=args.year,
        fmt=args.format,
        output=args.output,
        out=sys.stdout,
        err=sys.stderr,
        now=datetime.now(UTC),
    )


def _serve(settings: Settings) -> int:
    from bot.config import ConfigError
    from bot.logging_setup import settings_secrets, setup_logging
    from bot.service import run

    setup_logging(logging.INFO, secrets=settings_secrets(settings))
    try:
        return asyncio.run(run(settings))
    except ConfigError as exc:
        print(f"Lỗi cấu hình: {exc}", file=sys.stderr)
        return 2


def ask_one(kb: KnowledgeBase, question: str) -> dict[str, object]:
    """SPEC §1 `ask --json` object; the same kb.answer() the chat's faq capability calls."""
    return kb.answer(question).to_json()


def _ask(settings: Settings, question: str, json_mode: bool) -> int:
    from bot.answering import attach_answer_models, with_stored_examples

    _create_empty_database(settings.database_url)
    kb = with_stored_examples(load_knowledge(province=settings.province), settings)
    attach_answer_models(kb, settings)
    questions = read_questions(sys.stdin.buffer) if question == "-" else [_valid(question)]
    for q in questions:
        result = ask_one(kb, q)
        line = json.dumps(result, ensure_ascii=False) if json_mode else str(result["answer"])
        sys.stdout.buffer.write(_valid(line).encode("utf-8") + b"\n")
        sys.stdout.buffer.flush()
    return 0


def _valid(text: str) -> str:
    """`text` as valid UTF-8: lone surrogates (from undecodable argv bytes) become U+FFFD."""
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def read_questions(stream: BinaryIO) -> list[str]:
    """One question per line of `stream`: split on "\n" only (a form feed or U+2028 inside a
    question must not shift every later answer), "\r\n" accepted, invalid UTF-8 replaced."""
    text = stream.read().decode("utf-8", "replace")
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    return lines[:-1] if lines and lines[-1] == "" else lines


def _create_empty_database(url: str) -> None:
    """`ask` reads no table, so it only creates the schema of a database that has none yet;
    a full Alembic run on every question would cost half the 1.5 s cold-start budget."""
    if _existing_sqlite_file(url):
        return  # without importing SQLAlchemy (~0.1 s of every `ask`)
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        path = Path(str(parsed.database))
        if path.exists() and path.stat().st_size > 0:
            return
    asyncio.run(_db_upgrade_quietly(url))


def _existing_sqlite_file(url: str) -> bool:
    """True for a plain `sqlite[+driver]:///path` URL whose file exists and is not empty;
    anything else (queries, escapes, memory databases) is left to SQLAlchemy's parser."""
    scheme, sep, rest = url.partition(":///")
    if not sep or scheme.split("+")[0] != "sqlite" or not rest or "?" in rest or "%" in rest:
        return False
    if rest == ":memory:":
        return False
    path = Path(rest)
    return path.is_file() and path.stat().st_size > 0


async def _db_upgrade_quietly(url: str) -> None:
    from bot.db.engine import Database
    from bot.db.migrate import upgrade

    db = Database(url)
    try:
        await upgrade(db)
    finally:
        await db.dispose()


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


def _eligibility(settings: Settings, source: str, json_mode: bool) -> int:
    from knowledge.eligibility import AnswersError, evaluate, parse_answers

    try:
        raw = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
        answers = parse_answers(json.loads(raw))
    except (OSError, ValueError) as exc:
        # json.JSONDecodeError and AnswersError are ValueErrors too.
        kind = "câu trả lời không hợp lệ" if isinstance(exc, AnswersError) else "không đọc được"
        print(f"Lỗi: {kind}: {exc}", file=sys.stderr)
        return 2
    rules = load_knowledge(province=settings.province).eligibility
    if rules is None:
        print("Lỗi: chưa có tệp điều kiện knowledge/rules/eligibility.yaml", file=sys.stderr)
        return 1
    verdict = evaluate(rules, answers)
    if json_mode:
        print(json.dumps(verdict.to_dict(), ensure_ascii=False))
        return 0
    print(verdict.verdict)
    for title, items in (("Lý do", verdict.reasons), ("Ưu tiên", verdict.priority)):
        for item in items:
            print(f"{title}: {item.text} ({item.source})")
    if verdict.missing:
        print("Còn thiếu: " + ", ".join(verdict.missing))
    if verdict.supports:
        print("Hỗ trợ: " + ", ".join(verdict.supports))
    return 0


def _kb_check(settings: Settings, root: Path | None = None) -> int:
    """Everything under knowledge/ (every province overlay too); the first error exits 1."""
    kb = load_knowledge(root, province=settings.province)
    for name, count in kb.counts().items():
        print(f"{name}: {count}")
    if kb.province_info is not None:
        print(f"province: {kb.province_info.code} ({kb.province_info.name})")
    if kb.topics is not None:
        print("topics (last reviewed, status):")
        for topic in kb.topics:
            reviewed = topic.reviewed.strftime("%d/%m/%Y")
            print(f"  {topic.id}: {reviewed} [{', '.join(topic.statuses)}]")
    print("OK")
    return 0


def _kb_build(settings: Settings, force: bool) -> int:
    """SPEC §1 `kb build`: the answer models for the current knowledge/ (reused if built)."""
    import time

    from bot.answering import attach_answer_models, with_stored_examples

    started = time.perf_counter()
    kb = with_stored_examples(load_knowledge(province=settings.province), settings)
    models = attach_answer_models(kb, settings, rebuild=force)
    voters = "3 (matcher, classifier, dense)" if models.has_dense else "2 (matcher, classifier)"
    print(f"models: {models.key} in {settings.answer_models_dir}")
    print(f"voters: {voters}")
    print(
        f"officer examples: {'included (' + kb.examples_key + ')' if kb.examples_key else 'none'}"
    )
    print(f"seconds: {time.perf_counter() - started:.1f}")
    print("OK")
    return 0
