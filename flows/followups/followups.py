"""Follow-up policy: when a person's follow-ups are planned, and when one may be delivered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flows.conversations.common import FOLLOW_UP
from flows.followups.schedule import Kind, at_local, next_allowed, plan
from flows.l10n.countries import CountryPacks
from storage import casefile as casefile_db
from storage import followups as db
from storage import repository as repo
from storage.db import Connection

# When the next check-in arrives, the country's time zone, the country (or none planned).
NextCheckIn = tuple[datetime, str, str | None] | None
REPLAN_FIELDS = frozenset({"return_date", "returned", "profile", "consent_state",
                           "onboarded_at", "country", "followup_until_months"})


@dataclass(frozen=True, slots=True)
class Timing:
    """Reminders after 24 and 72 hours without an answer, missed a day after the last one;
    a person busy in another conversation is asked again in 15 minutes."""

    reminders: tuple[timedelta, ...] = (timedelta(hours=24), timedelta(hours=72))
    missed_after: timedelta = timedelta(hours=96)
    busy_retry: timedelta = timedelta(minutes=15)


class FollowUpPlanner:
    def __init__(self, packs: CountryPacks, timing: Timing | None = None) -> None:
        self.packs = packs
        self.timing = timing or Timing()

    @staticmethod
    def eligible(person: repo.ParticipantRecord) -> bool:
        return (person.onboarded_at is not None and person.consent_state.get(FOLLOW_UP) is True
                and person.return_date is not None and not person.paused and person.reachable)

    def replan(self, conn: Connection, person: repo.ParticipantRecord, now: datetime) -> int:
        """Recompute the person's future follow-ups from their return date and profile."""
        if (person.onboarded_at is None or person.consent_state.get(FOLLOW_UP) is not True
                or person.return_date is None):
            db.cancel_scheduled(conn, person.id)
            return 0
        pack = self.packs.get(person.country)
        agreed = casefile_db.plan_date(conn, person.id)  # anchors monitoring once known
        held = (frozenset(casefile_db.session_kinds_held(conn, person.id)) if agreed
                else frozenset())
        rows = [(item.kind.value, item.seq,
                 at_local(item.day, pack.checkin_local_time, pack.timezone))
                for item in plan(person.return_date, person.profile, pack.schedule_overrides,
                                 person.followup_until_months, plan_date=agreed,
                                 held=held)]
        return db.replace_schedule(conn, person.id, rows, now)

    def next_checkin(self, conn: Connection, channel: str, chat_id: str,
                     now: datetime) -> NextCheckIn:
        """When a chat's next check-in will arrive (moved into the allowed hours of the
        person's country, as delivery does), with the country's time zone and the country;
        None if none is planned."""
        person = repo.load_participant(conn, channel, chat_id)
        due = None if person is None else db.next_checkin(conn, person.id)
        if person is None or due is None:
            return None
        due = max(due if due.tzinfo else due.replace(tzinfo=UTC), now)
        return (self.allowed_at(person.country, due), self.packs.get(person.country).timezone,
                person.country)

    def allowed_at(self, country: str | None, moment: datetime) -> datetime:
        pack = self.packs.get(country)
        start, end = pack.allowed_hours
        return next_allowed(moment, pack.timezone, start, end)

    @staticmethod
    def is_checkin(kind: str) -> bool:
        return kind == Kind.CHECKIN.value
