"""The human side: escalations, alerts to case managers, their commands and buttons, and
handoffs, where a case manager talks with a returnee through the bot.

Everything here runs inside the engine's unit of work, so an alert is committed in the
same transaction as the message that caused it: a crash loses neither or both.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flows.engine.events import Button, Event, EventKind, Msg, OpenEscalation
from flows.engine.records import StoredRecords
from flows.l10n.countries import CountryPacks
from flows.l10n.i18n import N_, Catalogs
from flows.l10n.places import find_country
from flows.research.chartdata import survey_payload, weights_note, wmodel_payload
from flows.research.rss import DONT_KNOW_FLAG
from flows.research.scoring import Weights, suggestion
from storage import casework as db
from storage import followups as followups_db
from storage import repository as repo
from storage import research as research_db
from storage.db import Connection

log = logging.getLogger(__name__)

STAFF_COMMANDS = frozenset({"queue", "case", "endchat", "profile"})
PROFILES = ("standard", "vulnerable", "trafficking", "minor")
STAFF_BUTTON = "esc:"
INVITE_PREFIX = "staff-"
REALERT_EVERY = {1: timedelta(minutes=15), 2: timedelta(hours=2), 3: timedelta(hours=12)}

CATEGORY_NAMES: dict[str, str] = {
    "suicide": N_("suicide risk"), "self_harm": N_("self-harm"),
    "harm_to_others": N_("risk of harming others"), "confusion": N_("severe confusion"),
    "psychiatric": N_("psychiatric condition or care"), "medication": N_("out of medication"),
    "sexual_violence": N_("sexual violence"), "violence": N_("violence or torture"),
    "trafficking": N_("trafficking or exploitation"), "drugs": N_("drug use"),
    "medical_emergency": N_("medical emergency"), "gbv": N_("gender-based violence"),
    "safety_threat": N_("threat to safety"), "child_at_risk": N_("child at risk"),
    "isolation": N_("withdrawal or isolation"), "grief": N_("grief"),
    "trauma": N_("trauma or detention"), "severe_distress": N_("severe distress"),
    "alcohol": N_("alcohol use"), "emotional": N_("emotional difficulty"),
    "support_request": N_("asks for support"), "asked_for_person": N_("asked for a person"),
    "media": N_("voice message or file"), "low_mood": N_("very low mood twice in a row"),
    "lost_contact": N_("lost contact: check-ins missed"),
    "survey": N_("survey answers that need a person"), "food_cut": N_("cuts food very often"),
    "unsafe": N_("feels unsafe most or all of the time"),
    "family_conflict": N_("frequent family conflict"),
    "discrimination": N_("frequent discrimination"),
    "distress_signs": N_("distress signs very often"),
    "wants_psych_support": N_("wishes psychological support"),
    "must_leave": N_("unable to stay: needs to leave"),
    "survey_low_score": N_("survey score below 0.33"),
    "checkin_needs": N_("needs named in a check-in"),
    "need_housing": N_("needs help: housing"), "need_work": N_("needs help: work"),
    "need_health": N_("needs help: health"), "need_documents": N_("needs help: documents"),
    "need_family": N_("needs help: family"), "need_money": N_("needs help: money"),
    "need_safety": N_("needs help: safety"),
}


CASE_POINTS = 12  # W-model points written out in /case (the chart shows every one)

SUGGESTIONS: dict[str, str] = {
    "intensified": N_("intensified"), "regular": N_("regular"), "light": N_("light"),
    "unknown": N_("unknown"),
}

SESSION_NAMES: dict[str, str] = {
    "plan": N_("reintegration plan"), "survey": N_("Reintegration Sustainability Survey"),
    "wmodel": N_("W model session"), "midterm": N_("mid-term monitoring"),
    "final": N_("final monitoring"),
}


SEXES = ("female", "male", "other")


def parse_profile(tokens: list[str], today: date) -> dict[str, Any] | None:
    """The fields a /profile command sets, or None if any token is not understood."""
    fields: dict[str, Any] = {}
    for token in tokens:
        key, sep, value = token.partition("=")
        key, value = key.lower(), value.strip()
        if not sep and key in PROFILES:
            fields["profile"] = key
        elif key == "sex" and value.lower() in SEXES:
            fields["sex"] = value.lower()
        elif key == "born" and value.isdigit() and 1900 <= int(value) <= today.year:
            fields["birth_year"] = int(value)
        elif key == "host" and len(value) == 2 and find_country(value, "en") is not None:
            fields["host_country"] = value.upper()
        elif key == "left" and (left := _month_or_day(value)) is not None and left <= today:
            fields["departed_on"] = left
        else:
            return None
    return fields or None


def _month_or_day(value: str) -> date | None:
    try:
        return date.fromisoformat(value if value.count("-") == 2 else f"{value}-01")
    except ValueError:
        return None


def invite_hash(code: str) -> str:
    return hashlib.sha256(code.strip().encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class StaffView:
    id: int
    pseudonym: str
    channel: str
    chat_id: str
    role: str
    country: str | None
    locale: str
    pending: dict[str, Any]

    @classmethod
    def of(cls, row: Any, catalogs: Catalogs) -> StaffView:
        languages = list(row.languages or [])
        return cls(row.id, row.pseudonym, row.channel, row.chat_id, row.role, row.country,
                   catalogs.best_match(languages[0] if languages else None), dict(row.pending))

    def may_see(self, country: str | None) -> bool:
        """Admins see every country; others their own (and people with no country yet)."""
        return self.role == "admin" or self.country is None or country in (self.country, None)


class Casework:
    def __init__(self, catalogs: Catalogs, packs: CountryPacks) -> None:
        self.catalogs = catalogs
        self.packs = packs
        self.weights = Weights.default()  # the engine sets the ones in force
        self.screen_wait = timedelta(minutes=15)  # an unanswered direct question alerts
        # Set by the engine: recompute a person's follow-ups after a change.
        self.replan: Callable[[Connection, repo.ParticipantRecord, datetime], int] = (
            lambda _conn, _person, _now: 0)

    # Sending ---------------------------------------------------------------------------

    def send(self, conn: Connection, channel: str, chat_id: str, locale: str,
             parts: list[Msg | str], now: datetime, *, buttons: tuple[Button, ...] = (),
             participant_id: int | None = None, priority: int = repo.INTERACTIVE) -> None:
        text = "\n\n".join(self.catalogs.render(locale, part) for part in parts)
        repo.add_outbox(conn, participant_id=participant_id, channel=channel, chat_id=chat_id,
                        payload={"text": text, "locale": locale,
                                 "buttons": self.catalogs.render_buttons(locale, buttons)},
                        now=now, priority=priority)

    # The returnee's side ---------------------------------------------------------------

    def escalate(self, conn: Connection, participant: repo.ParticipantRecord,
                 signal: OpenEscalation, now: datetime) -> int:
        """Open an escalation or add this signal to the open one; alert case managers.

        A screening signal (a possible Tier 1, the person asked first) alerts nobody yet:
        it waits for the answer (``settle_screening``) or its deadline (``sweep``)."""
        categories = tuple(signal.categories) or (signal.category,)
        if signal.screening:
            screening_id = db.open_screening(
                conn, participant_id=participant.id, categories=categories,
                country=participant.country, note_72h=signal.note_72h,
                due=now + self.screen_wait, now=now)
            db.add_signal(conn, screening_id, at=now, source=signal.source, tier=1,
                          categories=categories, excerpt=_with_reading(signal))
            return screening_id
        pack = self.packs.get(participant.country)
        deadline = now + pack.ack_target(signal.tier)
        existing = db.find_open(conn, participant.id, categories[0])
        if existing is None:
            escalation_id = db.open_escalation(
                conn, participant_id=participant.id, tier=signal.tier, categories=categories,
                source=signal.source, country=participant.country, note_72h=signal.note_72h,
                ack_deadline=deadline, now=now)
            raised = True
        else:
            escalation_id = existing.id
            raised = signal.tier < existing.tier
            merged = tuple(dict.fromkeys([*existing.categories, *categories]))
            db.raise_escalation(conn, escalation_id, tier=min(signal.tier, existing.tier),
                                categories=merged, note_72h=existing.note_72h or signal.note_72h,
                                ack_deadline=deadline if raised else None)
        db.add_signal(conn, escalation_id, at=now, source=signal.source, tier=signal.tier,
                      categories=categories, excerpt=_with_reading(signal))
        if raised:
            row = db.get_escalation(conn, escalation_id)
            assert row is not None
            self._alert(conn, row, now, level=0, media_ref=signal.media_ref)
        elif signal.media_ref:
            row = db.get_escalation(conn, escalation_id)
            assert row is not None
            for staff in db.recipients(conn, row.country, supervisors=row.tier == 1):
                self._copy_media(conn, staff, row, signal.media_ref, now)
        return escalation_id

    def settle_screening(self, conn: Connection, participant: repo.ParticipantRecord,
                         confirmed: bool, now: datetime) -> None:
        """The person answered the direct question: yes alerts the team now at Tier 1."""
        for row in db.screenings_of(conn, participant.id):
            self._carry_on(conn, participant, row, "screen_confirmed" if confirmed else "",
                           now)

    def sweep_screenings(self, conn: Connection, now: datetime) -> int:
        """Questions unanswered past the deadline alert the team at Tier 1, marked "not
        confirmed", with the words that prompted the question."""
        rows = db.claim_due_screenings(conn, now)
        for row in rows:
            person = repo.load_participant(conn, row.p_channel, row.p_chat_id)
            if person is not None:
                self._carry_on(conn, person, row, "screen_unanswered", now)
        return len(rows)

    def _carry_on(self, conn: Connection, person: repo.ParticipantRecord, row: Any,
                  source: str, now: datetime) -> None:
        """End a screening; with a ``source``, as a Tier 1 escalation (alerted)."""
        db.end_screening(conn, row.id, now)
        if not source:
            return
        signals = db.signals_of(conn, row.id)
        excerpt = next((s.excerpt for s in reversed(signals) if s.excerpt), None)
        escalation_id = self.escalate(conn, person, OpenEscalation(
            tier=1, category=row.category, source=source, categories=tuple(row.categories),
            excerpt=excerpt, note_72h=row.note_72h), now)
        db.move_signals(conn, row.id, escalation_id)
        repo.audit(conn, now, actor="system", action=f"escalation.{source}",
                   subject=person.pseudonym, details={"escalation": escalation_id})

    def _alert(self, conn: Connection, row: Any, now: datetime, *, level: int,
               media_ref: str = "") -> None:
        """Case managers first; supervisors at once for Tier 1, and from the second reminder
        on for the others. Nobody is left out: see ``recipients``."""
        staff_rows = db.recipients(conn, row.country, supervisors=row.tier == 1 or level > 1)
        if not staff_rows:
            log.error("escalation %s (tier %s) has nobody to alert: no staff at all", row.id,
                      row.tier)
        signals = db.signals_of(conn, row.id)
        excerpt = next((s.excerpt for s in reversed(signals) if s.excerpt), None)
        for staff_row in staff_rows:
            staff = StaffView.of(staff_row, self.catalogs)
            parts: list[Msg | str] = []
            if level > 0:
                parts.append(Msg(N_("Reminder {level}: nobody has acknowledged this yet."),
                                 {"level": level}))
            parts.append(self._summary(row, staff.locale))
            if signals and signals[-1].source == "screen_unanswered":
                parts.append(Msg(N_("Not confirmed: the bot asked them directly whether they "
                                    "are thinking of suicide or in danger, and no answer came "
                                    "within {minutes} minutes."),
                                 {"minutes": int(self.screen_wait.total_seconds() // 60)}))
            elif signals and signals[-1].source == "screen_confirmed":
                parts.append(Msg(N_("Confirmed: asked directly, they answered yes.")))
            if excerpt:
                words, reading = split_reading(excerpt)
                parts.append(Msg(N_("Their words: \u201c{excerpt}\u201d"), {"excerpt": words}))
                if reading:
                    parts.append(Msg(N_("Read by: {reading}."), {"reading": reading}))
            if row.note_72h:
                parts.append(Msg(N_("Possible recent sexual violence: post-exposure HIV "
                                    "prophylaxis and emergency contraception work only within "
                                    "72 hours.")))
            self.send(conn, staff.channel, staff.chat_id, staff.locale, parts, now,
                      buttons=self._buttons(row.id), priority=repo.URGENT)
            if media_ref:
                self._copy_media(conn, staff, row, media_ref, now)

    def _copy_media(self, conn: Connection, staff: Any, row: Any, ref: str,
                    now: datetime) -> None:
        repo.add_outbox(conn, participant_id=None, channel=staff.channel, chat_id=staff.chat_id,
                        kind="copy", payload={"from_chat_id": row.p_chat_id, "message_id": ref},
                        now=now, priority=repo.URGENT)

    def _summary(self, row: Any, locale: str) -> str:
        categories = ", ".join(self.catalogs.render(locale, Msg(CATEGORY_NAMES.get(c, c)))
                               for c in row.categories or [row.category])
        due = row.ack_deadline.strftime("%Y-%m-%d %H:%M UTC") if row.ack_deadline else "-"
        return self.catalogs.render(locale, Msg(
            N_("Case #{id}, Tier {tier}: {categories}. Person {person}, country {country}, "
               "language {language}. Acknowledge by {due}."),
            {"id": row.id, "tier": row.tier, "categories": categories,
             "person": row.pseudonym, "country": row.country or "-",
             "language": row.locale or "-", "due": due}))

    @staticmethod
    def _buttons(escalation_id: int) -> tuple[Button, ...]:
        return (Button(f"esc:ack:{escalation_id}", Msg(N_("Acknowledge"))),
                Button(f"esc:claim:{escalation_id}", Msg(N_("Claim"))),
                Button(f"esc:chat:{escalation_id}", Msg(N_("Open chat"))),
                Button(f"esc:resolve:{escalation_id}", Msg(N_("Resolve"))))

    def session_due(self, conn: Connection, person: repo.ParticipantRecord, kind: str,
                    now: datetime) -> None:
        """A session a case manager holds (plan, survey, W model, monitoring) is due."""
        for staff_row in db.recipients(conn, person.country, supervisors=False):
            staff = StaffView.of(staff_row, self.catalogs)
            self.send(conn, staff.channel, staff.chat_id, staff.locale, [Msg(
                N_("Follow-up due: {session} with {person} (returned {date})."),
                {"session": Msg(SESSION_NAMES.get(kind, kind)), "person": person.pseudonym,
                 "date": person.return_date.isoformat() if person.return_date else "-"})], now,
                priority=repo.SCHEDULED)

    # Deadlines -------------------------------------------------------------------------

    def sweep(self, conn: Connection, now: datetime) -> int:
        """Re-alert every escalation whose acknowledgement deadline has passed."""
        rows = db.claim_due_alerts(conn, now)
        for row in rows:
            level = row.alert_level + 1
            self._alert(conn, row, now, level=level)
            db.schedule_next_alert(conn, row.id, level, now + REALERT_EVERY.get(row.tier,
                                                                                  timedelta(hours=12)))
            repo.audit(conn, now, actor="system", action="escalation.realerted",
                       subject=row.pseudonym, details={"escalation": row.id, "level": level})
        return len(rows)

    # Staff ------------------------------------------------------------------------------

    @staticmethod
    def is_staff_action(event: Event) -> bool:
        return ((event.kind is EventKind.BUTTON and event.payload.startswith(STAFF_BUTTON))
                or (event.kind is EventKind.COMMAND and event.command in STAFF_COMMANDS))

    @staticmethod
    def is_join(event: Event) -> bool:
        return (event.kind is EventKind.COMMAND and event.command == "start"
                and event.args.startswith(INVITE_PREFIX))

    def refuse(self, conn: Connection, event: Event, actor: str, locale: str,
               now: datetime) -> None:
        """A staff command or button from someone who is not (or not here) staff."""
        action = event.payload if event.kind is EventKind.BUTTON else f"/{event.command}"
        repo.audit(conn, now, actor=actor, action="staff.refused",
                   details={"attempt": action[:64], "channel": event.channel})
        self.send(conn, event.channel, event.chat_id, locale,
                  [Msg(N_("Sorry, that is not allowed."))], now)

    def join(self, conn: Connection, event: Event, participant: repo.ParticipantRecord | None,
             now: datetime) -> None:
        code = event.args[len(INVITE_PREFIX):]
        staff_row = db.redeem_invite(conn, invite_hash(code), event.channel, event.chat_id, now)
        locale = self.catalogs.best_match(event.locale_hint)
        if staff_row is None:
            repo.audit(conn, now, actor=f"{event.channel}:unknown", action="staff.join_refused")
            self.send(conn, event.channel, event.chat_id, locale,
                      [Msg(N_("This invitation code is not valid or has already been used."))],
                      now)
            return
        if participant is not None:  # a test conversation from this chat: staff now
            repo.delete_participant(conn, participant, now)
        staff = StaffView.of(staff_row, self.catalogs)
        repo.audit(conn, now, actor=f"staff:{staff.pseudonym}", action="staff.joined",
                   details={"role": staff.role, "country": staff.country})
        self.send(conn, staff.channel, staff.chat_id, staff.locale,
                  [Msg(N_("Welcome. You are registered as {role} for {country}. Alerts will "
                          "arrive here. Commands: /queue, /case NUMBER, /endchat."),
                       {"role": staff.role, "country": staff.country or "-"})], now)

    def handle_staff(self, conn: Connection, staff_row: Any, event: Event,
                     now: datetime) -> None:
        staff = StaffView.of(staff_row, self.catalogs)
        if event.kind is EventKind.BUTTON and event.payload.startswith(STAFF_BUTTON):
            self._button(conn, staff, event, now)
        elif event.kind is EventKind.COMMAND:
            self._command(conn, staff, event, now)
        elif event.kind is EventKind.TEXT and not event.edited:
            self._text(conn, staff, event, now)
        elif event.kind is EventKind.MEDIA:
            self._reply(conn, staff, now, N_("Files cannot be passed on yet; please write."))

    def _reply(self, conn: Connection, staff: StaffView, now: datetime, msgid: str,
               **params: Any) -> None:
        self.send(conn, staff.channel, staff.chat_id, staff.locale, [Msg(msgid, params)], now)

    def _audit(self, conn: Connection, staff: StaffView, action: str, now: datetime,
               subject: str | None = None, **details: Any) -> None:
        repo.audit(conn, now, actor=f"staff:{staff.pseudonym}", action=action, subject=subject,
                   details=details)

    def _escalation_for(self, conn: Connection, staff: StaffView, escalation_id: int,
                        action: str, now: datetime) -> Any | None:
        row = db.get_escalation(conn, escalation_id)
        if row is None or not staff.may_see(row.country):
            self._audit(conn, staff, "staff.refused", now, attempt=f"{action}:{escalation_id}")
            self._reply(conn, staff, now, N_("Sorry, that is not allowed."))
            return None
        return row

    def _button(self, conn: Connection, staff: StaffView, event: Event, now: datetime) -> None:
        _, action, raw_id = [*event.payload.split(":"), "", ""][:3]
        if action not in ("ack", "claim", "chat", "resolve") or not raw_id.isdigit():
            self._audit(conn, staff, "staff.refused", now, attempt=event.payload[:64])
            self._reply(conn, staff, now, N_("Sorry, that is not allowed."))
            return
        row = self._escalation_for(conn, staff, int(raw_id), action, now)
        if row is None:
            return
        if action == "ack":
            self._acknowledge(conn, staff, row, now)
        elif action == "claim":
            self._claim(conn, staff, row, now)
        elif action == "chat":
            self._open_chat(conn, staff, row, now)
        else:
            db.set_pending(conn, staff.id, {"resolve": row.id})
            self._audit(conn, staff, "escalation.resolve_started", now, row.pseudonym,
                        escalation=row.id)
            self._reply(conn, staff, now, N_("Write a short note on how case #{id} was "
                                             "resolved. It is kept with the case."), id=row.id)

    def _tell_person_seen(self, conn: Connection, row: Any, now: datetime) -> None:
        locale = row.locale or "en"
        self.send(conn, row.p_channel, row.p_chat_id, locale,
                  [Msg(N_("A person from the reintegration team has seen your message. They "
                          "will write to you here soon."))], now, participant_id=row.participant_id)

    def _acknowledge(self, conn: Connection, staff: StaffView, row: Any, now: datetime) -> None:
        if db.acknowledge(conn, row.id, staff.id, now):
            self._audit(conn, staff, "escalation.acknowledged", now, row.pseudonym,
                        escalation=row.id)
            self._tell_person_seen(conn, row, now)
            self._reply(conn, staff, now, N_("Case #{id} acknowledged. The person has been "
                                             "told that someone has seen it."), id=row.id)
        else:
            self._reply(conn, staff, now, N_("Case #{id} was already acknowledged."), id=row.id)

    def _claim(self, conn: Connection, staff: StaffView, row: Any, now: datetime) -> bool:
        was_open = row.status == "open"
        if not db.claim(conn, row.id, staff.id, now):
            self._audit(conn, staff, "escalation.claim_lost", now, row.pseudonym,
                        escalation=row.id)
            self._reply(conn, staff, now, N_("Case #{id} is already held by another case "
                                             "manager."), id=row.id)
            return False
        self._audit(conn, staff, "escalation.claimed", now, row.pseudonym, escalation=row.id)
        if was_open:
            self._tell_person_seen(conn, row, now)
        self._reply(conn, staff, now, N_("Case #{id} is yours."), id=row.id)
        return True

    def _open_chat(self, conn: Connection, staff: StaffView, row: Any, now: datetime) -> None:
        if not db.claim(conn, row.id, staff.id, now):
            self._reply(conn, staff, now, N_("Case #{id} is already held by another case "
                                             "manager."), id=row.id)
            return
        if not db.start_handoff(conn, participant_id=row.participant_id, staff_id=staff.id,
                                escalation_id=row.id, now=now):
            self._reply(conn, staff, now, N_("Another case manager is already talking with "
                                             "this person."))
            return
        self._audit(conn, staff, "handoff.started", now, row.pseudonym, escalation=row.id)
        self.send(conn, row.p_channel, row.p_chat_id, row.locale or "en",
                  [Msg(N_("You are now talking with a person from the reintegration team. "
                          "The automated assistant is paused until they end the chat."))],
                  now, participant_id=row.participant_id)
        self._reply(conn, staff, now, N_("You are now talking with {person}. What you write "
                                         "here goes to them. Send /endchat to finish."),
                    person=row.pseudonym)

    def _command(self, conn: Connection, staff: StaffView, event: Event, now: datetime) -> None:
        if event.command == "queue":
            self._queue(conn, staff, now)
        elif event.command == "case":
            self._case(conn, staff, event.args, now)
        elif event.command == "endchat":
            self._end_chat(conn, staff, now)
        elif event.command == "profile":
            self._profile(conn, staff, event.args, now)
        else:
            self._reply(conn, staff, now, N_("Commands: /queue, /case NUMBER, /endchat."))

    def _queue(self, conn: Connection, staff: StaffView, now: datetime) -> None:
        rows = db.queue(conn, None if staff.role == "admin" else staff.country)
        self._audit(conn, staff, "queue.viewed", now, count=len(rows))
        if not rows:
            self._reply(conn, staff, now, N_("No open cases."))
            return
        lines = []
        for row in rows:
            minutes = int((now - row.created_at).total_seconds() // 60)
            lines.append(self.catalogs.render(staff.locale, Msg(
                N_("#{id} Tier {tier} {person} {status}, {minutes} min"),
                {"id": row.id, "tier": row.tier, "person": row.pseudonym,
                 "status": row.status, "minutes": minutes})))
        self._reply(conn, staff, now, N_("Open cases, most urgent first:\n{lines}\n\n"
                                         "/case NUMBER for details."), lines="\n".join(lines))

    def _case(self, conn: Connection, staff: StaffView, args: str, now: datetime) -> None:
        raw = args.strip().lstrip("#")
        row = db.get_escalation(conn, int(raw)) if raw.isdigit() else None
        person = (db.participant_by_id(conn, row.participant_id) if row is not None
                  else db.participant_by_pseudonym(conn, raw) if raw else None)
        if person is None or not staff.may_see(person.country):
            self._audit(conn, staff, "staff.refused", now, attempt=f"case:{raw[:20]}")
            self._reply(conn, staff, now, N_("No such case here. Use /case NUMBER."))
            return
        self._audit(conn, staff, "case.viewed", now, person.pseudonym)
        history = []
        for esc in db.escalations_of(conn, person.id):
            signals = db.signals_of(conn, esc.id)
            words = "; ".join(f"\u201c{split_reading(s.excerpt)[0]}\u201d" for s in signals
                              if s.excerpt)
            history.append(f"#{esc.id} T{esc.tier} {esc.status} {esc.created_at:%Y-%m-%d} "
                           f"{', '.join(esc.categories or [esc.category])} {words}".strip())
        returned = person.return_date.isoformat() if person.return_date else "-"
        checkins = [f"{c.at:%Y-%m-%d} mood {c.mood or '-'}/5"
                    f"{' needs: ' + ', '.join(c.needs) if c.needs else ''}"
                    f"{' — “' + c.events + '”' if c.events else ''}"
                    for c in followups_db.recent_checkins(conn, person.id)]
        events = StoredRecords(conn, person.id).wmodel_points()
        shown = events[-CASE_POINTS:]  # the chart has them all
        points = [f"{'↑' if w.kind == 'up' else '↓'} "
                  f"{w.months if w.months is not None else '?'} m"
                  f"{' ' + w.dimension if w.dimension else ''}"
                  f"{' ' + str(w.intensity) + '/5' if w.intensity else ''}: “{w.note}”"
                  + "".join(f"\n    {k}: {v}" for k, v in w.details.items())
                  for w in shown]
        if len(events) > len(shown):
            points.insert(0, f"(+{len(events) - len(shown)})")
        surveys = research_db.completed(conn, person.id)
        locale = staff.locale
        scores = [self._score_line(locale, row) for row in surveys] or [
            self.catalogs.render(locale, Msg(N_("no complete survey yet")))]
        self._reply(conn, staff, now, N_(
            "Person {person}: country {country}, language {language}, return {returned}, "
            "profile {profile}.\nRecent check-ins:\n{checkins}\nUps and downs (W model):\n"
            "{points}\nSurvey scores (suggestions, not decisions):\n{scores}\n"
            "Escalations:\n{history}"),
            person=person.pseudonym, country=person.country or "-",
            language=person.locale or "-", returned=returned, profile=person.profile,
            checkins="\n".join(checkins) or "-", points="\n".join(points) or "-",
            scores="\n".join(scores), history="\n".join(history) or "-")
        if events:  # the charts, drawn by the sender when they go out
            repo.add_outbox(conn, participant_id=None, channel=staff.channel,
                            chat_id=staff.chat_id, kind="chart", now=now,
                            payload=wmodel_payload(self.catalogs, locale, Msg(
                                N_("W model of {person}"), {"person": person.pseudonym}),
                                events, caption=person.pseudonym))
        if surveys:
            note = weights_note(self.catalogs, locale, surveys[-1].weights_version,
                                self.weights.provisional_for(surveys[-1].weights_version))
            repo.add_outbox(conn, participant_id=None, channel=staff.channel,
                            chat_id=staff.chat_id, kind="chart", now=now,
                            payload=survey_payload(self.catalogs, locale, Msg(
                                N_("Survey scores of {person}"), {"person": person.pseudonym}),
                                surveys, note))

    def _score_line(self, locale: str, row: Any) -> str:
        """One survey's scores, with the weights version, and the abstentions when many."""
        def fmt(value: float | None) -> str:
            return "-" if value is None else f"{value:.2f}"

        line = self.catalogs.render(locale, Msg(N_(
            "{date} ({mode}): economic {economic}, social {social}, psychosocial "
            "{psychosocial}, composite {composite} → {suggestion} support. {weights}"), {
            "date": f"{row.completed_at:%Y-%m-%d}", "mode": row.mode,
            "economic": fmt(row.economic), "social": fmt(row.social),
            "psychosocial": fmt(row.psychosocial), "composite": fmt(row.composite),
            "suggestion": Msg(SUGGESTIONS[suggestion(row.composite)]),
            "weights": weights_note(self.catalogs, locale, row.weights_version,
                                    self.weights.provisional_for(row.weights_version))}))
        if row.abstentions is not None and row.abstentions > DONT_KNOW_FLAG:
            line += " " + self.catalogs.render(locale, Msg(N_(
                "⚠ {n} answers were \u201cdon't know\u201d or \u201cdon't wish to answer\u201d."),
                {"n": row.abstentions}))
        return line

    def _profile(self, conn: Connection, staff: StaffView, args: str, now: datetime) -> None:
        """/profile R-7KQ2MX9P vulnerable sex=female born=1994 host=LY left=2019-05:
        the follow-up schedule's profile, and the analysis variables when known."""
        parts = args.split()
        person = db.participant_by_pseudonym(conn, parts[0]) if len(parts) >= 2 else None
        fields = parse_profile(parts[1:], now.date()) if person is not None else None
        if person is None or fields is None or not staff.may_see(person.country):
            self._audit(conn, staff, "staff.refused", now, attempt=f"profile:{args[:40]}")
            self._reply(conn, staff, now, N_(
                "Use /profile PERSON, then a profile among {profiles} and/or sex=female, male "
                "or other, born=YEAR, host=COUNTRY CODE, left=YYYY-MM-DD (when they left)."),
                profiles=", ".join(PROFILES))
            return
        record = repo.load_participant(conn, person.channel, person.chat_id)
        assert record is not None
        record.set(**fields)
        if "profile" in fields:
            self.replan(conn, record, now)
        repo.save_participant(conn, record)
        self._audit(conn, staff, "participant.profile_set", now, person.pseudonym,
                    fields=sorted(fields), profile=fields.get("profile"))
        if "profile" in fields:
            self._reply(conn, staff, now, N_("{person} now follows the {profile} schedule."),
                        person=person.pseudonym, profile=fields["profile"])
        recorded = sorted(set(fields) - {"profile"})
        if recorded:
            self._reply(conn, staff, now, N_("Recorded for {person}: {fields}."),
                        person=person.pseudonym, fields=", ".join(recorded))

    def _end_chat(self, conn: Connection, staff: StaffView, now: datetime) -> None:
        handoff = db.active_handoff_of_staff(conn, staff.id)
        if handoff is None:
            self._reply(conn, staff, now, N_("You are not in a chat."))
            return
        db.end_handoff(conn, handoff.id, now)
        self._audit(conn, staff, "handoff.ended", now, handoff.pseudonym)
        self.send(conn, handoff.p_channel, handoff.p_chat_id, handoff.locale or "en",
                  [Msg(N_("The person from the team has ended the chat. The automated "
                          "assistant is back; send /help any time to ask for a person again."))],
                  now, participant_id=handoff.participant_id)
        self._reply(conn, staff, now, N_("Chat with {person} ended."), person=handoff.pseudonym)

    def _text(self, conn: Connection, staff: StaffView, event: Event, now: datetime) -> None:
        resolving = staff.pending.get("resolve")
        if resolving is not None:
            db.set_pending(conn, staff.id, {})
            row = self._escalation_for(conn, staff, int(resolving), "resolve", now)
            if row is None:
                return
            if not event.text.strip():
                self._reply(conn, staff, now, N_("A resolution needs a note."))
                return
            if db.resolve(conn, row.id, event.text.strip(), now):
                for handoff in db.end_handoffs_of_escalation(conn, row.id, now):
                    self.send(conn, row.p_channel, row.p_chat_id, row.locale or "en",
                              [Msg(N_("The person from the team has ended the chat. The "
                                      "automated assistant is back; send /help any time to "
                                      "ask for a person again."))], now,
                              participant_id=handoff.participant_id)
                self._audit(conn, staff, "escalation.resolved", now, row.pseudonym,
                            escalation=row.id)
                self._reply(conn, staff, now, N_("Case #{id} resolved."), id=row.id)
            else:
                self._reply(conn, staff, now, N_("Case #{id} is not open."), id=row.id)
            return
        handoff = db.active_handoff_of_staff(conn, staff.id)
        if handoff is None:
            self._reply(conn, staff, now, N_("Commands: /queue, /case NUMBER, /endchat."))
            return
        self._audit(conn, staff, "handoff.message", now, handoff.pseudonym)
        repo.add_outbox(conn, participant_id=handoff.participant_id, channel=handoff.p_channel,
                        chat_id=handoff.p_chat_id, payload={"text": event.text, "buttons": [],
                                                            "locale": handoff.locale or "en"},
                        now=now)

    def relay_to_staff(self, conn: Connection, participant: repo.ParticipantRecord,
                       event: Event, now: datetime) -> None:
        """During a handoff the person's messages go to the case manager, unchanged."""
        staff_row = db.staff_by_id(conn, participant.handoff_staff_id or 0)
        if staff_row is None:
            return
        staff = StaffView.of(staff_row, self.catalogs)
        if event.kind is EventKind.MEDIA and event.ref:
            repo.add_outbox(conn, participant_id=None, channel=staff.channel,
                            chat_id=staff.chat_id, kind="copy",
                            payload={"from_chat_id": event.chat_id, "message_id": event.ref},
                            now=now)
            return
        self.send(conn, staff.channel, staff.chat_id, staff.locale,
                  [f"{participant.pseudonym}: {event.text}"], now)


READING = "\u241e"  # between the person's words and how triage read them, in one column


def _with_reading(signal: OpenEscalation) -> str | None:
    """The excerpt, with how triage read it (layers, confidence) for the case manager; kept
    in the signal's encrypted excerpt column, apart from the words (``split_reading``)."""
    if not signal.excerpt:
        return signal.excerpt
    return f"{signal.excerpt}{READING}{signal.reading}" if signal.reading else signal.excerpt


def split_reading(excerpt: str) -> tuple[str, str]:
    words, _, reading = excerpt.partition(READING)
    return words, reading
