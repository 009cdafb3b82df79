"""After the support: the check-in schedule and questions, and the effectiveness figures."""

from knowledge.followup.schedule import (
    Followup,
    PlannedCheckin,
    Schedule,
    add_months,
    load_followup,
    plan_checkins,
)

__all__ = [
    "Followup",
    "PlannedCheckin",
    "Schedule",
    "add_months",
    "load_followup",
    "plan_checkins",
]
