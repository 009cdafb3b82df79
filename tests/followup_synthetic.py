"""The 40 synthetic supported establishments of the report tests (see the hand computation in
tests/test_followup_report.py). Quảng Ninh's 20 carry the province's published totals for
2014–2020: 14.953 million đồng of support, 105.047 million of own capital."""

from __future__ import annotations

from datetime import date

from knowledge.followup.effectiveness import CheckinRow, EstablishmentRow

NOT_ANSWERING = {7, 15, 23, 31, 39}  # the 3-month check-in got no answer
STOPPED = {12, 25}
NO_BASELINE_WORKERS = {9, 19, 29, 39}
REVENUE_SKIPPED = {5, 11, 17, 29, 35}
SIX_MONTHS = {0, 4, 8, 12, 16}
REFUSED = {33}


def province(i: int) -> str:
    return "quang_ninh" if i < 20 else ("can_tho" if i < 38 else "lao_cai")


def money(i: int) -> tuple[int, int]:
    if i < 19:
        return 747_000_000, 5_252_000_000
    if i == 19:
        return 760_000_000, 5_259_000_000
    if i < 38:
        return 200_000_000, 300_000_000
    return 100_000_000, 50_000_000


def _three_months(i: int) -> CheckinRow:
    if i in NOT_ANSWERING:
        return CheckinRow(3, asked=True)
    if i in STOPPED:
        return CheckinRow(3, asked=True, answers={"operating": "no"})
    answers: dict[str, object] = {"operating": "yes", "workers": 12, "wage": 6_000_000}
    if i not in REVENUE_SKIPPED:
        answers["revenue"] = 1_200_000_000
    return CheckinRow(3, asked=True, answers=answers)


def establishment(i: int) -> EstablishmentRow:
    state, own = money(i)
    baseline: dict[str, object] = {"wage": 5_000_000, "revenue": 1_000_000_000}
    if i not in NO_BASELINE_WORKERS:
        baseline["workers"] = 10
    checkins = [_three_months(i)]
    if i in SIX_MONTHS:
        six = {"operating": "no"} if i in STOPPED else {"operating": "yes", "workers": 14}
        checkins.append(CheckinRow(6, asked=True, answers=six))
    # The 12-month check-in is not due yet: planned, not delivered.
    checkins.append(CheckinRow(12, asked=False))
    return EstablishmentRow(
        support_id=i + 1,
        establishment=f"Cơ sở {i:02d}",
        province=province(i),
        support_type="may_moc_thiet_bi" if i % 2 == 0 else "khac",
        sector="che_bien_nong_lam_thuy_san" if i < 30 else "tieu_thu_cong_nghiep",
        state_support=state,
        own_capital=own,
        completed_on=date(2026, 1 + i % 12, 1) if i < 30 else date(2025, 6, 1),
        baseline=baseline,
        checkins=tuple(checkins),
        refused=i in REFUSED,
    )


def synthetic() -> list[EstablishmentRow]:
    return [establishment(i) for i in range(40)]
