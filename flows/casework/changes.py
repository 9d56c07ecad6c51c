"""What a casework decision changes, as values: the messages it sends, the audit entries it
writes, the rows it sets. A decision (``decisions.py``, ``case_view.case_page``,
``assignment.decide_assignment``) reads nothing and writes nothing: it gets what was read
and returns these; ``apply.py`` writes them, in order, in the unit of work it is given.

Some writes are conditional in the database (``Guarded``): acknowledging, claiming,
resolving and starting a chat hold for exactly one of several case managers pressing the
same button at once, so the decision cannot know the outcome in advance. It says what
follows either way (``then`` and ``otherwise``), and the applier takes the branch the
database chose. Everything here is a plain frozen dataclass, comparable in tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from flows.engine.events import Button, Msg
from storage.casestore import INTERACTIVE


class CaseError(Exception):
    """A command refused, with the message for the staff member (a msgid and params)."""

    def __init__(self, msgid: str, **params: Any) -> None:
        super().__init__(msgid)
        self.msg = Msg(msgid, params)


@dataclass(frozen=True)
class Send:
    """A message to a chat through the outbox, rendered in ``locale`` when written.
    ``about``: the returnee a message to staff concerns (erased with them); ``bundle``:
    messages of one bundle for one chat go together; ``watch``: an urgent one is re-alerted
    when not delivered in time."""

    channel: str
    chat_id: str
    locale: str
    parts: tuple[Msg | str, ...]
    buttons: tuple[Button, ...] = ()
    participant_id: int | None = None
    priority: int = INTERACTIVE
    about: int | None = None
    bundle: str | None = None
    watch: bool = True


@dataclass(frozen=True)
class Outbox:
    """An outbox row as it is (a relayed text, a chart to draw, a copied file)."""

    channel: str
    chat_id: str
    payload: dict[str, Any]
    kind: str = "message"
    participant_id: int | None = None
    about: int | None = None
    priority: int = INTERACTIVE


@dataclass(frozen=True)
class Audit:
    actor: str
    action: str
    subject: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SetPending:
    """What the staff member's next text answers (``{"resolve": 12}``), or nothing."""

    staff_id: int
    pending: dict[str, Any]


@dataclass(frozen=True)
class EndHandoff:
    handoff_id: int


@dataclass(frozen=True)
class KeepHandoffMessage:
    """A line of a handoff's transcript (encrypted at rest)."""

    handoff_id: int
    participant_id: int
    from_staff: bool
    text: str


@dataclass(frozen=True)
class EndChatsOf:
    """End every chat still open on an escalation; ``tell`` goes out once for each."""

    escalation_id: int
    tell: Send


@dataclass(frozen=True)
class Assign:
    """A new assignment of a returnee to a case manager (the previous one ends)."""

    participant_id: int
    staff_id: int
    staff_pseudonym: str
    by: str
    reason: str


@dataclass(frozen=True)
class NotifyTeam:
    """A notice about a returnee to their case manager, else the country's case managers
    (``recipients.notice_recipients``, read when it is written)."""

    participant_id: int
    country: str | None
    parts: tuple[Msg | str, ...]
    priority: int = INTERACTIVE


@dataclass(frozen=True)
class AskQuestion:
    """A question for the returnee, asked as soon as they are free (``kind``: what about,
    ``ref_id``: the plan version or referral it concerns)."""

    participant_id: int
    kind: str
    ref_id: int
    due_at: datetime


@dataclass(frozen=True)
class AnswerQuestion:
    participant_id: int
    kind: str
    ref_id: int


@dataclass(frozen=True)
class RecordConsent:
    """The returnee's consent (or refusal) to one purpose, in their record of consents."""

    person: Any  # the ParticipantRecord
    purpose: str
    version: str
    granted: bool


@dataclass(frozen=True)
class SetPlanConsent:
    participant_id: int
    version: int
    consent: str


@dataclass(frozen=True)
class AddProgress:
    """What the returnee said of an activity of their plan."""

    participant_id: int
    plan_version: int
    activity: str
    status: str
    note: str | None


@dataclass(frozen=True)
class UpdateReferral:
    referral_id: int
    values: dict[str, Any]


@dataclass(frozen=True, eq=False)
class Refuse:
    """The command says no: the applier raises ``error`` once what came before it (the
    refusal's audit entry) is written. Last in its changes."""

    error: CaseError


# The conditional writes: the database says whether they held. ---------------------------

@dataclass(frozen=True)
class Acknowledge:
    escalation_id: int
    staff_id: int


@dataclass(frozen=True)
class Claim:
    escalation_id: int
    staff_id: int


@dataclass(frozen=True)
class Resolve:
    escalation_id: int
    note: str


@dataclass(frozen=True)
class StartHandoff:
    participant_id: int
    staff_id: int
    escalation_id: int | None


Condition = Acknowledge | Claim | Resolve | StartHandoff


@dataclass(frozen=True)
class Guarded:
    """A conditional write, and what follows when it held (``then``) or not."""

    write: Condition
    then: tuple[Change, ...] = ()
    otherwise: tuple[Change, ...] = ()

    def also(self, then: tuple[Change, ...] = (), otherwise: tuple[Change, ...] = ()
             ) -> Guarded:
        return replace(self, then=(*self.then, *then), otherwise=(*self.otherwise, *otherwise))


Change = (Send | Outbox | Audit | SetPending | EndHandoff | KeepHandoffMessage | EndChatsOf
          | Assign | NotifyTeam | AskQuestion | AnswerQuestion | RecordConsent | SetPlanConsent
          | AddProgress | UpdateReferral | Refuse | Guarded)
Changes = tuple[Change, ...]


def person_audit(person: Any, action: str, **details: Any) -> Audit:
    """An entry of the audit log written in a returnee's name, about them."""
    return Audit(f"participant:{person.pseudonym}", action, person.pseudonym, details)


def staff_audit(staff: Any, action: str, subject: str | None = None, **details: Any) -> Audit:
    """An entry of the audit log written in a staff member's name (``StaffView``)."""
    return Audit(f"staff:{staff.pseudonym}", action, subject, details)


def to_staff(staff: Any, msgid: str, about: int | None = None, **params: Any) -> Send:
    """A message to a staff member's own chat (``StaffView``), in their language."""
    return Send(staff.channel, staff.chat_id, staff.locale, (Msg(msgid, params),), about=about)
