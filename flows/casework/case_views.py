"""What case-management queries and commands return: plain, frozen dataclasses with
pseudonyms, never rows, so that a page (the console) or a message (Telegram) is a thin
rendering of them. Words people wrote (notes, objectives) are decrypted here: whoever holds
one of these has been checked for role and scope, and the read is in the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flows.casework.plan import Plan


@dataclass(frozen=True, slots=True)
class AssignmentView:
    person: str
    staff: str
    started_at: datetime
    ended_at: datetime | None
    by: str
    reason: str  # manual | preference | handover


@dataclass(frozen=True, slots=True)
class CaseloadEntry:
    person: str
    country: str | None
    return_date: date | None
    profile: str
    since: datetime


@dataclass(frozen=True, slots=True)
class TeamLoad:
    """One case manager or supervisor of a country and how many people they hold."""

    staff: str
    role: str
    country: str | None
    gender: str | None
    held: int


@dataclass(frozen=True, slots=True)
class SessionView:
    id: int
    person: str
    kind: str  # plan | wmodel | survey | midterm | final | other
    mode: str  # in_person | phone | online | chat
    held_on: date
    note: str | None
    staff: str


@dataclass(frozen=True, slots=True)
class PlanVersionView:
    person: str
    version: int
    plan: Plan
    author: str  # participant | staff:S-…
    created_at: datetime
    consent: str | None  # agreed | declined | None (not answered yet)
    consent_at: datetime | None


@dataclass(frozen=True, slots=True)
class ProviderView:
    """An entry of the referral directory: ``S1``… from the country pack, ``P7``… added by
    the office."""

    ref: str
    name: str
    services: tuple[str, ...]
    contact: str
    source: str  # pack | office


@dataclass(frozen=True, slots=True)
class ReferralView:
    id: int
    person: str
    provider_ref: str
    provider: str
    service: str
    shared: tuple[str, ...]  # what the person's consent covers for this provider
    status: str  # proposed | declined | made | reached | not_reached
    consent_version: str | None
    consent_at: datetime | None
    ask_at: datetime | None
    reached: bool | None
    helped: str | None
    note: str | None
    created_by: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class UnmetNeedView:
    id: int
    person: str
    country: str | None
    service: str
    note: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ProgressView:
    """How an activity of the plan is going, as the person answered at a check-in."""

    at: datetime
    plan_version: int
    activity: str  # dimension:index
    what: str | None  # the activity's words in the current plan, when it is still there
    status: str  # well | slowly | stuck | not_started | note
    note: str | None


@dataclass(frozen=True, slots=True)
class MonitoringDates:
    """The plan's dates and what they anchor (domain.md §6)."""

    person: str
    plan_date: date | None
    midterm_due: date | None
    final_due: date | None
    follow_up_until: date | None
