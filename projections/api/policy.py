"""What each role may read: the one table the API consults before it answers.

- ``public`` reads aggregates only, marked no higher than OFFICIAL, with no free text: the
  neighbourhoods, their priorities, their coverage and the "you said, we did" feedback without the
  reasons written for it.
- ``partner`` (a council, housing, a community safety partnership) reads that, the reasons, and
  community tension and its alerts, but not the evidence behind them (no event ids, no events).
- ``analyst`` reads everything, and may send SQL (``POST /query``) and rebuild the projections.

Community tension is OFFICIAL-SENSITIVE: it says where disorder may come next.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from events import ProtectiveMarking
from projections.api.access import Role


class View(StrEnum):
    NEIGHBOURHOODS = "neighbourhoods"
    PRIORITIES = "priorities"
    TENSION = "tension"
    TENSION_TIMELINE = "tension_timeline"
    COVERAGE = "coverage"
    FEEDBACK = "feedback"
    ALERTS = "alerts"
    EVIDENCE = "evidence"
    QUERY = "query"
    """Any SQL over any table, free text included: analysts only."""
    OPERATIONS = "operations"
    """The sink's status and the rebuild."""


FREE_TEXT_COLUMNS = frozenset({"text", "payload", "reason", "note", "summary", "issue", "action"})
"""Columns that hold (redacted) words people wrote, or could: never shown to the public."""

EVIDENCE_COLUMNS = frozenset({"evidence_ids"})


@dataclass(frozen=True)
class ViewPolicy:
    marking: ProtectiveMarking
    readers: frozenset[Role]
    withheld: dict[Role, frozenset[str]] = field(default_factory=dict)
    """Columns left out of the answer for a role that may read the view."""

    def columns_withheld(self, role: Role) -> frozenset[str]:
        return self.withheld.get(role, frozenset())


_EVERYONE = frozenset(Role)
_PARTNERS = frozenset({Role.PARTNER, Role.ANALYST})
_ANALYSTS = frozenset({Role.ANALYST})
_OFFICIAL = ProtectiveMarking.OFFICIAL
_SENSITIVE = ProtectiveMarking.OFFICIAL_SENSITIVE

POLICY: dict[View, ViewPolicy] = {
    View.NEIGHBOURHOODS: ViewPolicy(_OFFICIAL, _EVERYONE),
    View.PRIORITIES: ViewPolicy(_OFFICIAL, _EVERYONE),
    View.COVERAGE: ViewPolicy(_OFFICIAL, _EVERYONE),
    View.FEEDBACK: ViewPolicy(_OFFICIAL, _EVERYONE, {Role.PUBLIC: frozenset({"reason"})}),
    View.TENSION: ViewPolicy(_SENSITIVE, _PARTNERS, {Role.PARTNER: EVIDENCE_COLUMNS}),
    View.TENSION_TIMELINE: ViewPolicy(_SENSITIVE, _PARTNERS, {Role.PARTNER: EVIDENCE_COLUMNS}),
    View.ALERTS: ViewPolicy(_SENSITIVE, _PARTNERS, {Role.PARTNER: EVIDENCE_COLUMNS}),
    View.EVIDENCE: ViewPolicy(_SENSITIVE, _ANALYSTS),
    View.QUERY: ViewPolicy(_SENSITIVE, _ANALYSTS),
    View.OPERATIONS: ViewPolicy(_SENSITIVE, _ANALYSTS),
}


def may_read(role: Role, view: View) -> bool:
    return role in POLICY[view].readers


def refusal(role: Role, view: View) -> str:
    """Why ``role`` may not read ``view``, and what to do."""
    who = "readers without a token" if role is Role.PUBLIC else f"the {role.value} role"
    allowed = " or ".join(sorted(r.value for r in POLICY[view].readers))
    return (
        f"{who} may not read {view.value} (marked {POLICY[view].marking.value}); it needs a token "
        f"with the role {allowed}"
    )
