"""The effectiveness report on 40 synthetic establishments against a hand computation, in
text, JSON (through the CLI code on a real database) and XLSX (read back with openpyxl)."""

from __future__ import annotations

import asyncio
import io
import json
from datetime import UTC, date, datetime

import openpyxl
import pytest

from bot.db.checkins import load_report_rows
from bot.db.engine import Database
from bot.report_command import effectiveness_command
from bot.report_xlsx import write_xlsx
from handlers.effectiveness import pack
from handlers.effectiveness_view import labels_of, render_text, report_json
from knowledge import load_knowledge
from knowledge.followup import add_months, plan_checkins
from knowledge.followup.effectiveness import compute
from tests.followup_synthetic import synthetic
from tests.remkit import HCM

TODAY = date(2026, 12, 4)

# Hand computation (tests/followup_synthetic.py):
# jobs: 40 − {9,19,29,39 no baseline} − {7,15,23,31 no answer} − {12,25 stopped} = 30
#   establishments; before 30 × 10 = 300; after 4 × 14 (6-month answers of 0,4,8,16)
#   + 26 × 12 = 368; +68/300 = +22,7 %.
# wage: 40 − 5 not answering − 2 stopped = 33; 5 → 6 million a month, +20 %.
# revenue: 33 − {5,11,17,29,35 skipped} = 28; 28 → 33,6 billion, +20 %.
# check-ins: 40 three-month + 5 six-month = 45 delivered, 35 + 5 = 40 answered, 88,9 %.
EXPECTED_TOTAL = {
    "establishments": 40,
    "state_support": 18_753_000_000,
    "own_capital": 110_547_000_000,
    "jobs": (30, 300, 368),
    "wage": (33, 165_000_000, 198_000_000),
    "revenue": (28, 28_000_000_000, 33_600_000_000),
    "checkins": (45, 40, 40),
}
# Per province: establishments, state, own, leverage, jobs (n, before, after), wage n,
# revenue n, check-ins (asked, answered), stopped, not answering, refused.
EXPECTED_PROVINCES = {
    "can_tho": (18, 3_600_000_000, 5_400_000_000, 1.5, (14, 140, 168), 15, 13, (18, 16),
                ("Cơ sở 25",), ("Cơ sở 23", "Cơ sở 31"), ("Cơ sở 33",)),
    "lao_cai": (2, 200_000_000, 100_000_000, 0.5, (1, 10, 12), 1, 1, (2, 1),
                (), ("Cơ sở 39",), ()),
    "quang_ninh": (20, 14_953_000_000, 105_047_000_000, 105_047 / 14_953, (15, 150, 188), 17,
                   14, (25, 23), ("Cơ sở 12",), ("Cơ sở 07", "Cơ sở 15"), ()),
}  # fmt: skip


@pytest.fixture(scope="module")
def kb():
    return load_knowledge(province="quang_ninh")


def test_figures_match_the_hand_computation():
    report = compute(synthetic())
    total = report.total
    assert total.establishments == 40
    assert total.state_support == EXPECTED_TOTAL["state_support"]
    assert total.own_capital == EXPECTED_TOTAL["own_capital"]
    assert total.leverage == pytest.approx(110_547 / 18_753)
    assert (total.jobs.n, total.jobs.before, total.jobs.after) == EXPECTED_TOTAL["jobs"]
    assert total.jobs.change_percent == pytest.approx(100 * 68 / 300)
    assert (total.wage.n, total.wage.before, total.wage.after) == EXPECTED_TOTAL["wage"]
    assert total.wage.average_before == 5_000_000
    assert total.wage.average_after == 6_000_000
    assert total.wage.change_percent == pytest.approx(20.0)
    assert (total.revenue.n, total.revenue.before, total.revenue.after) == (
        EXPECTED_TOTAL["revenue"]
    )
    assert total.revenue.change_percent == pytest.approx(20.0)
    assert (total.asked, total.answered, total.asked_establishments) == (45, 40, 40)
    assert total.response_rate == pytest.approx(100 * 40 / 45)
    assert total.stopped == ("Cơ sở 12", "Cơ sở 25")
    assert set(total.not_answering) == {"Cơ sở 07", "Cơ sở 15", "Cơ sở 23", "Cơ sở 31",
                                        "Cơ sở 39"}  # fmt: skip
    assert total.refused == ("Cơ sở 33",)
    for group in report.by_province:
        (count, state, own, leverage, jobs, wage_n, revenue_n, checkins, stopped, silent,
         refused) = EXPECTED_PROVINCES[group.key]  # fmt: skip
        assert group.establishments == count
        assert (group.state_support, group.own_capital) == (state, own)
        assert group.leverage == pytest.approx(leverage)
        assert (group.jobs.n, group.jobs.before, group.jobs.after) == jobs
        assert (group.wage.n, group.revenue.n) == (wage_n, revenue_n)
        assert (group.asked, group.answered) == checkins
        assert (group.stopped, group.not_answering, group.refused) == (stopped, silent, refused)
    # Quảng Ninh's published totals: "1 đồng khuyến công thu hút 7 đồng".
    quang_ninh = next(g for g in report.by_province if g.key == "quang_ninh")
    assert round(quang_ninh.leverage, 1) == 7.0
    # Fewer than 3 establishments: no percentages.
    lao_cai = next(g for g in report.by_province if g.key == "lao_cai")
    assert lao_cai.jobs.change_percent is None
    assert lao_cai.response_rate is None
    machines = next(g for g in report.by_support_type if g.key == "may_moc_thiet_bi")
    assert (machines.establishments, machines.state_support, machines.own_capital) == (
        20, 9_370_000_000, 55_270_000_000,
    )  # fmt: skip
    crafts = next(g for g in report.by_sector if g.key == "tieu_thu_cong_nghiep")
    assert (crafts.establishments, crafts.jobs.n, crafts.jobs.before, crafts.jobs.after) == (
        10, 8, 80, 96,
    )  # fmt: skip


def test_filters_by_province_and_year():
    report = compute(synthetic(), province="quang_ninh")
    assert report.total.establishments == 20
    assert [g.key for g in report.by_province] == ["quang_ninh"]
    assert compute(synthetic(), year=2025).total.establishments == 10
    assert compute(synthetic(), province="ha_noi").total.establishments == 0


def test_text_report_states_formula_counts_and_hides_small_percentages(kb):
    text = render_text(kb.ui, compute(synthetic()), labels_of(kb), TODAY)
    print(text)  # noqa: T201 - shown with -s; the final report quotes it
    assert "Phạm vi: tất cả các tỉnh; mọi năm hoàn thành. Lập ngày 04/12/2026." in text
    assert "TỔNG CỘNG (40 cơ sở)" in text
    assert (
        "Hệ số thu hút vốn = vốn đối ứng ÷ hỗ trợ nhà nước = 105,05 tỷ đồng ÷ 14,95 tỷ đồng "
        "≈ 7,0 (trên 20 cơ sở)"
    ) in text
    assert "— Quảng Ninh (20 cơ sở)" in text
    assert "Lao động: 300 → 368 (+68, +22,7%; 30 cơ sở có số liệu trước và sau)" in text
    assert "5 triệu đồng → 6 triệu đồng (+1 triệu đồng, +20,0%; 33 cơ sở" in text
    assert "Tỷ lệ trả lời hỏi thăm: 40/45 lần hỏi (88,9%; 40 cơ sở đã được hỏi)" in text
    lao_cai = text.split("— Lào Cai (2 cơ sở)")[1].split("— Quảng Ninh")[0]
    assert "Lao động: 10 → 12 (+2; chỉ 1 cơ sở" in lao_cai
    assert "%;" not in lao_cai
    assert "Trả lời hỏi thăm: 1/2 lần hỏi (chỉ 2 cơ sở đã được hỏi, không tính %)" in lao_cai
    assert "Ngừng hoạt động (2): Cơ sở 12, Cơ sở 25." in text
    assert "— Máy móc thiết bị (20 cơ sở)" in text
    assert "— Tiểu thủ công nghiệp (10 cơ sở)" in text
    assert all(len(message) <= 4000 for message in pack(text.split("\n\n")))


def test_missing_answers_are_never_zero():
    rows = synthetic()
    report = compute(rows)
    # Skipped revenue and missing baseline workers leave the establishment out of that pair.
    assert report.total.revenue.n == 28
    assert all(r.pair("revenue") is None for r in rows if r.support_id - 1 in {5, 11, 17})
    assert rows[9].pair("workers") is None
    assert report.total.jobs.n == 30


def test_xlsx_opens_with_the_same_numbers(kb, tmp_path):
    report = compute(synthetic())
    path = tmp_path / "out" / "hieu-qua.xlsx"
    write_xlsx(report, labels_of(kb), path)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == [
        "Tổng hợp", "Theo tỉnh", "Theo nội dung hỗ trợ", "Theo ngành", "Dữ liệu gốc",
    ]  # fmt: skip
    sheet = book["Theo tỉnh"]
    header = [c.value for c in sheet[1]]
    assert header[:5] == [
        "Tỉnh", "Số cơ sở được hỗ trợ", "Hỗ trợ nhà nước (đồng)",
        "Vốn đối ứng của cơ sở (đồng)", "Hệ số thu hút vốn (vốn đối ứng ÷ hỗ trợ nhà nước)",
    ]  # fmt: skip
    rows = {r[0].value: r for r in sheet.iter_rows(min_row=2)}
    quang_ninh = rows["Quảng Ninh"]
    assert quang_ninh[1].value == 20
    assert quang_ninh[2].value == 14_953_000_000
    assert quang_ninh[2].number_format == "#,##0"
    assert quang_ninh[3].value == 105_047_000_000
    assert round(quang_ninh[4].value, 1) == 7.0
    column = {name: i for i, name in enumerate(header)}
    assert quang_ninh[column["Lao động trước"]].value == 150
    assert quang_ninh[column["Lao động sau"]].value == 188
    assert quang_ninh[column["Tỷ lệ trả lời (%)"]].value == pytest.approx(92.0)
    lao_cai = rows["Lào Cai"]
    assert lao_cai[column["Thay đổi lao động (%)"]].value is None  # < 3 establishments
    assert lao_cai[column["Tỷ lệ trả lời (%)"]].value is None
    total = next(book["Tổng hợp"].iter_rows(min_row=2))
    assert total[1].value == 40
    assert total[column["Doanh thu sau (đồng/năm)"]].value == 33_600_000_000
    raw = list(book["Dữ liệu gốc"].iter_rows(min_row=2, values_only=True))
    assert len(raw) == 40
    raw_header = [c.value for c in book["Dữ liệu gốc"][1]]
    revenue_after = raw_header.index("Doanh thu sau (đồng/năm)")
    assert raw[5][revenue_after] is None  # skipped, not 0
    assert sum(r[raw_header.index("Hỗ trợ nhà nước (đồng)")] for r in raw) == 18_753_000_000


async def _seed(url: str) -> None:
    """The synthetic rows as real support records, check-ins and delivered outbox rows."""
    from bot.db.models import OutboxMessage
    from bot.db.models_followup import Checkin, SupportRecord

    db = Database(url)
    now = datetime(2026, 12, 4, 3, tzinfo=UTC)
    async with db.transaction() as session:
        for row in synthetic():
            await session.execute(
                SupportRecord.__table__.insert().values(
                    id=row.support_id, province=row.province, support_type=row.support_type,
                    sector=row.sector, establishment=row.establishment,
                    state_support=row.state_support, own_capital=row.own_capital,
                    completed_on=row.completed_on, baseline=dict(row.baseline),
                    refused_at=now if row.refused else None, recorded_by="test",
                    created_at=now,
                )
            )  # fmt: skip
            for checkin in row.checkins:
                key = f"chk:{row.support_id}:{checkin.offset_months}"
                await session.execute(
                    Checkin.__table__.insert().values(
                        support_id=row.support_id, offset_months=checkin.offset_months,
                        due_at=now, outbox_key=key, reminder_key=f"{key}:rem",
                        answers=dict(checkin.answers),
                    )
                )  # fmt: skip
                await session.execute(
                    OutboxMessage.__table__.insert().values(
                        dedupe_key=key, kind="checkin", channel="console", chat_id="x",
                        payload={"text": "."}, due_at=now, created_at=now, attempts=0,
                        status="sent" if checkin.asked else "pending",
                    )
                )  # fmt: skip
    await db.dispose()


def test_cli_json_and_xlsx_from_the_database(settings, kb, tmp_path):
    asyncio.run(_seed(settings.database_url))

    async def load() -> list:
        db = Database(settings.database_url)
        async with db.transaction() as session:
            rows = await load_report_rows(session)
        await db.dispose()
        return rows

    assert asyncio.run(load()) == synthetic()
    now = datetime(2026, 12, 4, 3, tzinfo=UTC)
    out, err = io.StringIO(), io.StringIO()
    code = effectiveness_command(
        settings, province="quang_ninh", year=None, fmt="json", output=None,
        out=out, err=err, now=now,
    )  # fmt: skip
    assert code == 0
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    data = json.loads(lines[0])
    expected = report_json(compute(synthetic(), province="quang_ninh"), labels_of(kb), TODAY)
    assert data["total"] == expected["total"]
    assert data["total"]["leverage"]["formula"] == "vốn đối ứng ÷ hỗ trợ nhà nước"
    assert round(data["total"]["leverage"]["value"], 1) == 7.0
    assert data["total"]["establishments"] == 20
    assert data["generated_on"] == "04/12/2026"
    assert len(data["establishments"]) == 20
    target = tmp_path / "bao-cao.xlsx"
    code = effectiveness_command(
        settings, province=None, year=None, fmt="xlsx", output=target,
        out=out, err=err, now=now,
    )  # fmt: skip
    assert code == 0
    assert openpyxl.load_workbook(target)["Tổng hợp"]["C2"].value == 18_753_000_000
    assert (
        effectiveness_command(
            settings, province=None, year=None, fmt="xlsx", output=None, out=out, err=err, now=now
        )
        == 2
    )
    assert "--output" in err.getvalue()


def test_schedule_dates():
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert add_months(date(2026, 11, 15), 12) == date(2027, 11, 15)
    schedule = load_knowledge().followup.schedule
    plan = plan_checkins(date(2026, 11, 15), schedule, HCM)
    assert [p.offset_months for p in plan] == [3, 6, 12]
    assert plan[0].due_at == datetime(2027, 2, 15, 9, tzinfo=HCM)
    assert (plan[0].reminder_at - plan[0].due_at).days == schedule.reminder_after_days
