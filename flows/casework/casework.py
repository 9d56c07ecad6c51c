"""The human side, as one object the engine holds: escalations and alerts (``alerts.py``;
urgent messages undelivered in time, ``undelivered.py``),
membership (``membership.py``), the staff desk of commands and buttons (``desk.py``), the
case view (``case_view.py``) and handoff (``handoff.py``), over what they share
(``base.py``: sending to a chat, the audit log).
"""

from __future__ import annotations

from flows.casework.case_view import CaseView
from flows.casework.desk import StaffDesk
from flows.casework.handoff import Handoff
from flows.casework.membership import Membership
from flows.casework.undelivered import Undelivered


class Casework(Undelivered, Membership, StaffDesk, CaseView, Handoff):
    """Every casework operation; each part lives in its own module."""
