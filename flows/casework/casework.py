"""The human side, as one object the engine holds: escalations and alerts (``alerts.py``),
membership (``membership.py``), the staff desk of commands and buttons (``desk.py``), the
case view (``case_view.py``) and handoff (``handoff.py``), over what they share
(``base.py``: sending to a chat, the audit log); and case management (``case_desk.py``:
assignment, sessions, the plan, referrals).
"""

from __future__ import annotations

from flows.casework.alerts import Alerts
from flows.casework.case_desk import CaseDesk
from flows.casework.case_view import CaseView
from flows.casework.desk import StaffDesk
from flows.casework.handoff import Handoff
from flows.casework.membership import Membership


class Casework(Alerts, Membership, StaffDesk, CaseView, Handoff, CaseDesk):
    """Every casework operation; each part lives in its own module."""
