"""Events (what a person did) and Effects (what should happen), independent of the channel."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any


class EventKind(StrEnum):
    TEXT = "text"
    BUTTON = "button"
    COMMAND = "command"
    MEDIA = "media"
    TRIGGER = "trigger"
    BLOCKED = "blocked"  # the person blocked the bot: nothing can be sent any more
    UNBLOCKED = "unblocked"


@dataclass(frozen=True, slots=True)
class Event:
    """One thing a person did, as the engine sees it.

    ``update_id`` is the channel's id for the update (Telegram's ``update_id``); when given,
    the engine processes an update only once. ``locale_hint`` is the language the channel
    reports for the person, used before they have chosen one.
    """

    channel: str
    chat_id: str
    kind: EventKind
    text: str = ""
    payload: str = ""
    command: str = ""
    args: str = ""
    media: str = ""
    update_id: int | None = None
    locale_hint: str | None = None
    edited: bool = False  # an edit of an earlier message, not a new answer
    ref: str = ""  # the channel's id of the message (to forward media to a case manager)
    country_hint: str | None = None  # the country a channel suggests (a demo chat's --country)

    @classmethod
    def from_text(cls, channel: str, chat_id: str, text: str, **kw: Any) -> Event:
        """Text as typed: ``/cmd args`` becomes a command, anything else free text."""
        stripped = text.strip()
        if stripped.startswith("/") and len(stripped) > 1:
            head, _, args = stripped[1:].partition(" ")
            command = head.split("@", 1)[0].lower()
            return cls(channel, chat_id, EventKind.COMMAND, command=command, args=args.strip(),
                       **kw)
        return cls(channel, chat_id, EventKind.TEXT, text=stripped, **kw)


@dataclass(frozen=True, slots=True)
class Msg:
    """A message to translate: a gettext msgid (English source) and its named parameters.

    Parameters may themselves be ``Msg`` and are then translated too.
    """

    msgid: str
    params: dict[str, Any] = field(default_factory=dict)
    plural: str | None = None
    n: int | None = None


@dataclass(frozen=True, slots=True)
class Button:
    """An answer the person can pick. ``label`` is a Msg, or literal text when not translated."""

    payload: str
    label: Msg | str


@dataclass(frozen=True, slots=True)
class Reply:
    text: Msg
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True, slots=True)
class SetProfile:
    """Change fields of the participant (locale, country, returned, return_date, ...)."""

    fields: dict[str, Any]


@dataclass(frozen=True, slots=True)
class RecordConsent:
    purpose: str
    version: str
    granted: bool


@dataclass(frozen=True, slots=True)
class OpenEscalation:
    """Put the person in front of a human: opens an escalation or adds to the open one."""

    tier: int
    category: str
    source: str
    categories: tuple[str, ...] = ()
    excerpt: str | None = None
    note_72h: bool = False
    media_ref: str = ""  # a voice message or file to pass on to the case manager
    # A possible Tier 1 signal: the person is asked first; the case managers are alerted on
    # a yes, or when no answer came by the deadline ("not confirmed").
    screening: bool = False
    reading: str = ""  # how triage read it: the layers and how sure, for the case manager


@dataclass(frozen=True, slots=True)
class SettleScreening:
    """The person answered the direct question: alert now (yes) or stand it down (no)."""

    confirmed: bool


@dataclass(frozen=True, slots=True)
class RecordCheckIn:
    followup_id: int | None
    mood: int | None
    events: str | None
    needs: tuple[str, ...]
    note: str | None


@dataclass(frozen=True, slots=True)
class AddWModelPoint:
    """A high (up) or low (down) point for the W model, in the person's words.

    Without ``months`` the engine counts the months from the return date to today."""

    kind: str
    note: str
    source: str
    months: float | None = None
    dimension: str | None = None
    intensity: int | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class UpdateWModelPoint:
    """Change the person's own point (note, months_since_return, dimension, intensity)."""

    point_id: int
    fields: dict[str, Any]


@dataclass(frozen=True, slots=True)
class DeleteWModelPoint:
    point_id: int


@dataclass(frozen=True, slots=True)
class RecordReflection:
    """Hopes and plans, services that could help, and the providers named."""

    hopes: str | None
    services: str | None
    providers: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SaveSurveyDraft:
    """The survey's answers so far, kept so that the person can pause and resume."""

    answers: dict[str, Any]


@dataclass(frozen=True, slots=True)
class CompleteSurvey:
    """Every asked item answered: score it (engine) and store it with the weights version."""

    answers: dict[str, Any]


@dataclass(frozen=True, slots=True)
class DiscardSurvey:
    """Erase an unfinished survey's answers."""


@dataclass(frozen=True, slots=True)
class SendChart:
    """Send the person a chart of their own: ``wmodel`` or ``survey``."""

    kind: str


@dataclass(frozen=True, slots=True)
class RecordFeedback:
    """Was an information page useful? Counted per topic, for the country office."""

    topic: str
    useful: bool


@dataclass(frozen=True, slots=True)
class PostponeFollowUp:
    """Ask again later: the delivered check-in goes back to the schedule."""

    hours: int


@dataclass(frozen=True, slots=True)
class SetPaused:
    paused: bool


@dataclass(frozen=True, slots=True)
class DeleteMyData:
    """Erase the participant and everything tied to them; keep only an audit line."""


@dataclass(frozen=True, slots=True)
class MarkOnboarded:
    pass


# Case management: what a returnee answers about their plan and referrals, written by
# ``flows/casework`` (``Casework.apply_case_effect``).


@dataclass(frozen=True, slots=True)
class SavePlanObjectives:
    """The person's objectives for their plan, per dimension, in their words (drafted in
    chat): a new version of the plan, written by them."""

    objectives: dict[str, str]


@dataclass(frozen=True, slots=True)
class AnswerPlan:
    """The person's answer to a version of their plan: agreed, or wants to talk about it."""

    version: int
    agreed: bool


@dataclass(frozen=True, slots=True)
class RecordActivityProgress:
    """How one activity of the plan is going (well, slowly, stuck, not_started; or words)."""

    version: int
    activity: str
    status: str
    note: str | None = None


@dataclass(frozen=True, slots=True)
class AnswerReferral:
    """Consent to a referral (``consent``), or its outcome (``reached``, ``helped``)."""

    referral_id: int
    consent: bool | None = None
    reached: bool | None = None
    helped: str | None = None


@dataclass(frozen=True, slots=True)
class PreferCaseManager:
    """The person would prefer a female or male case manager (None: no preference)."""

    gender: str | None


CaseEffect = (SavePlanObjectives | AnswerPlan | RecordActivityProgress | AnswerReferral
              | PreferCaseManager)

Effect = (
    Reply | SetProfile | RecordConsent | OpenEscalation | SetPaused | DeleteMyData
    | MarkOnboarded | RecordCheckIn | PostponeFollowUp | AddWModelPoint | RecordFeedback
    | UpdateWModelPoint | DeleteWModelPoint | RecordReflection | SaveSurveyDraft
    | CompleteSurvey | DiscardSurvey | SendChart | SettleScreening | CaseEffect
)


@dataclass(frozen=True, slots=True)
class ParticipantView:
    """What a flow may read about the person: a snapshot, never the database row."""

    pseudonym: str
    locale: str
    country: str | None
    returned: bool | None
    return_date: date | None
    onboarded: bool
    paused: bool
    consents: dict[str, bool]
    last_mood: int | None = None
    checklist: dict[str, bool] = field(default_factory=dict)
