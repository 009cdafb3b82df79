"""The step roles that code reads: a form names the step of each with `role:`.

handlers/intake_draft.py and handlers/submissions.py read answers by role, never by step id,
so renaming a step in YAML keeps the draft whole; `kb check` reports an unknown or duplicate
role, a role on a step of the wrong kind, and a role the intake needs that no step declares.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ESTABLISHMENT = "establishment"  # the establishment's name (file names, notices, /hoso)
    PHONE = "phone"  # the owner's phone (officers' notice and CSV, masked in logs)
    ADDRESS = "address"  # where the establishment is (officers' CSV)
    ENTITY_TYPE = "entity_type"  # household business, cooperative, enterprise (officers' CSV)
    SUPPORT_TYPE = "support_type"  # which khuyến công support is asked (project name)
    MACHINE = "machine"  # the machine or line bought (project name for machinery)
    TOTAL_COST = "total_cost"
    SUPPORT_REQUESTED = "support_requested"
    START_DATE = "start_date"  # project start: first milestone reminder
    END_DATE = "end_date"  # project end: last milestone reminders
    NO_OTHER_FUNDING = "no_other_funding"  # commitment: no other state funding, same content
    COUNTERPART = "counterpart"  # commitment: the establishment pays its counterpart share


# The kinds a step of each role may have (what the code reading it expects).
ROLE_KINDS: dict[Role, frozenset[str]] = {
    Role.ESTABLISHMENT: frozenset({"text"}),
    Role.PHONE: frozenset({"phone"}),
    Role.ADDRESS: frozenset({"text"}),
    Role.ENTITY_TYPE: frozenset({"choice"}),
    Role.SUPPORT_TYPE: frozenset({"choice"}),
    Role.MACHINE: frozenset({"text"}),
    Role.TOTAL_COST: frozenset({"money"}),
    Role.SUPPORT_REQUESTED: frozenset({"money"}),
    Role.START_DATE: frozenset({"date"}),
    Role.END_DATE: frozenset({"date"}),
    Role.NO_OTHER_FUNDING: frozenset({"confirm", "yes_no"}),
    Role.COUNTERPART: frozenset({"confirm", "yes_no"}),
}
# Every role is read by the intake's draft, notices or milestones.
INTAKE_ROLES = frozenset(Role)
