"""The human side, as one object the engine holds: escalations and alerts (``alerts.py``;
urgent messages undelivered in time, ``undelivered.py``),
membership (``membership.py``), the staff desk of commands and buttons (``desk.py``), the
case view (``case_view.py``) and handoff (``handoff.py``), over what they share
(``base.py``: sending to a chat, the audit log); case management (``case_desk.py``:
assignment, sessions, the plan, referrals). The web console's parts sit beside them:
signing in (``login.py``), the queue, case and actions at the desk (``console_queries.py``),
supervision and administration (``supervision.py``); they call the same methods.
"""

from __future__ import annotations

from flows.casework.case_desk import CaseDesk
from flows.casework.case_view import CaseView
from flows.casework.console_queries import ConsoleDesk
from flows.casework.desk import StaffDesk
from flows.casework.handoff import Handoff
from flows.casework.login import ConsoleLogin
from flows.casework.membership import Membership
from flows.casework.supervision import Supervision
from flows.casework.undelivered import Undelivered


class Casework(Undelivered, Membership, ConsoleDesk, StaffDesk, CaseView, ConsoleLogin,
               Supervision, Handoff, CaseDesk):
    """Every casework operation; each part lives in its own module."""
