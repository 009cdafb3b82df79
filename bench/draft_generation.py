"""Time to generate one draft đề án (compose from answers + write the DOCX).

Baseline in the same run: saving an empty python-docx document, so the ratio shows what the
template and tables cost on this machine. Run: python bench/draft_generation.py [N]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import docx

from bot.drafts import DocxRenderer
from handlers.context import Context, CoreConfig
from handlers.intake_draft import build_draft
from handlers.messages import ConversationState, IncomingMessage
from handlers.ports import UserRef
from knowledge import load_knowledge

ANSWERS = {
    "owner_name": "Nguyễn Văn An",
    "phone": "0912345678",
    "establishment_name": "Hộ kinh doanh Bún khô Minh Anh",
    "entity_type": "ho_kinh_doanh",
    "tax_code": "0101234567",
    "site_address": "xã Tân Hòa, tỉnh Phú Thọ",
    "site_area": "xa",
    "sector": "che_bien_nong_lam_thuy_san",
    "support_type": "may_moc_thiet_bi",
    "current_situation": "Đang phơi bún thủ công, mưa nhiều thì hỏng hàng.",
    "machine": "Máy sấy bún bằng nhiệt, công suất 500 kg/mẻ",
    "supplier_quotes": 3,
    "total_cost": 800_000_000,
    "support_requested": 300_000_000,
    "start_date": "2027-03-01",
    "end_date": "2027-09-30",
    "expected_results": "Tăng từ 300 kg lên 1 tấn bún mỗi ngày, thêm 5 lao động.",
    "commit_no_other_funding": "yes",
    "commit_counterpart": "yes",
}


def _ctx(kb, data_dir: str) -> Context:
    return Context(
        message=IncomingMessage("console", "bench", "bench", text=""),
        user=UserRef(1, "console", "bench", None, False),
        state=ConversationState(),
        store=None,  # type: ignore[arg-type] - drafting touches no storage
        kb=kb,
        config=CoreConfig(timezone=ZoneInfo("Asia/Ho_Chi_Minh"), data_dir=data_dir),
        now=datetime(2026, 11, 21, 3, tzinfo=UTC),
    )


def _time(fn, n: int) -> list[float]:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    kb = load_knowledge()
    renderer = DocxRenderer()
    with tempfile.TemporaryDirectory() as tmp:
        ctx = _ctx(kb, tmp)
        form = kb.intake_form

        def one_draft() -> None:
            renderer.render(build_draft(ctx, form, ANSWERS, 1, 1), tmp)

        def empty_docx() -> None:
            docx.Document().save(f"{tmp}/empty.docx")

        one_draft()  # warm-up: first python-docx load reads its default template
        draft = _time(one_draft, n)
        compose_only = _time(lambda: build_draft(ctx, form, ANSWERS, 1, 1), n)
        baseline = _time(empty_docx, n)
    med = statistics.median
    print(
        f"draft đề án (compose + DOCX), median of {n}: {med(draft):.1f} ms "
        f"(p95 {sorted(draft)[int(0.95 * (n - 1))]:.1f} ms)"
    )
    print(f"compose only (answers → document model): {med(compose_only):.2f} ms")
    print(f"baseline, empty python-docx save:        {med(baseline):.1f} ms")
    print(f"ratio draft / baseline: {med(draft) / med(baseline):.2f}x")


if __name__ == "__main__":
    main()
