"""Referrals (handbook §2.3.2): a returnee guided to a provider of the country's directory
(the country pack's services, ``S1``…, and providers the office adds, ``P7``…) for a
service, with what is shared named to the person and consented to for that provider (with
the consent text's version); the outcome asked after the country's set number of days, and
"not reached" returned to the case manager. A need no provider meets is recorded as an
unmet need, for advocacy.

A provider never receives more than the consent covers: ``referral_slip`` is the only way
a referral's data leaves casework, and it holds only the fields consented to, and nothing
before the person said yes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flows.casework.case_base import CaseBase, CaseError
from flows.casework.case_views import ProviderView, ReferralView, UnmetNeedView
from flows.casework.changes import (
    AnswerQuestion,
    AskQuestion,
    Change,
    Changes,
    NotifyTeam,
    RecordConsent,
    UpdateReferral,
    person_audit,
)
from flows.casework.plan import Plan
from flows.casework.staff import StaffView
from flows.casework.vocabulary import SERVICE_NAMES, SHARED_NAMES
from flows.conversations.common import CONSENT_VERSION
from flows.engine.events import AnswerReferral, Msg
from flows.l10n.i18n import N_
from storage import casestore as store
from storage.casestore import Connection

DEFAULT_SHARED = ("need",)
SERVICE_DIMENSION = {"work": "economic", "training": "economic", "money": "economic",
                     "assistance": "economic", "mental_health": "psychosocial",
                     "feelings": "psychosocial", "family": "psychosocial"}


def _referral(person: str, row: Any) -> ReferralView:
    return ReferralView(row.id, person, row.provider_ref, row.provider_name, row.service,
                        tuple(row.shared or ()), row.status, row.consent_version,
                        row.consent_at, row.ask_at, row.reached, row.helped, row.note,
                        row.created_by, row.created_at)


class Referrals(CaseBase):
    """The directory, referrals with consent and outcome, unmet needs."""

    def directory(self, conn: Connection, country: str | None) -> list[ProviderView]:
        pack = self.packs.get(country)
        listed = [ProviderView(f"S{i}", s.name, tuple(s.topics), s.contact, "pack")
                  for i, s in enumerate(pack.services, start=1)] if country else []
        return listed + [ProviderView(f"P{r.id}", r.name, tuple(r.services), r.contact or "",
                                      "office") for r in store.providers(conn, country)]

    def add_provider(self, conn: Connection, staff: StaffView, name: str,
                     services: list[str], contact: str, now: datetime) -> ProviderView:
        unknown = [s for s in services if s not in SERVICE_NAMES]
        if not name.strip() or not services or unknown:
            raise CaseError(PROVIDER_USAGE, services=", ".join(SERVICE_NAMES))
        provider_id = store.add_provider(conn, country=staff.country, name=name.strip()[:200],
                                           services=services, contact=contact.strip()[:200]
                                           or None, by=f"staff:{staff.pseudonym}", now=now)
        self._audit(conn, staff, "provider.added", now, provider=provider_id)
        return ProviderView(f"P{provider_id}", name.strip(), tuple(services), contact.strip(),
                            "office")

    def refer(self, conn: Connection, staff: StaffView, reference: str, provider_ref: str,
              service: str, shared: tuple[str, ...], note: str | None, now: datetime
              ) -> ReferralView:
        """Propose a referral: the person is asked for consent for this provider, naming
        what would be shared, before anything is."""
        person = self.person_in_scope(conn, staff, reference, "refer", now)
        found = {p.ref: p for p in self.directory(conn, person.country)}.get(
            provider_ref.upper())
        if found is None:
            raise CaseError(N_("No provider {ref} in the directory of {country}: /provider "
                               "lists it; /unmet records a need nobody meets."),
                            ref=provider_ref, country=person.country or "-")
        if service not in SERVICE_NAMES:
            raise CaseError(N_("Services: {services}."), services=", ".join(SERVICE_NAMES))
        fields = tuple(dict.fromkeys(shared or DEFAULT_SHARED))
        if any(f not in SHARED_NAMES for f in fields):
            raise CaseError(N_("What may be shared: {fields}."), fields=", ".join(SHARED_NAMES))
        referral_id = store.add_referral(
            conn, participant_id=person.id, country=person.country, provider_ref=found.ref,
            provider_name=found.name, service=service, shared=list(fields),
            note=(note or "").strip()[:2000] or None, status="proposed",
            created_by=f"staff:{staff.pseudonym}", created_at=now)
        store.add_question(conn, person.id, "referral_consent", referral_id, now)
        self._audit(conn, staff, "referral.proposed", now, person.pseudonym,
                    referral=referral_id, provider=found.ref, shared=list(fields))
        row = store.referral(conn, referral_id)
        return _referral(person.pseudonym, row)

    def record_unmet(self, conn: Connection, staff: StaffView, reference: str, service: str,
                     note: str | None, now: datetime) -> UnmetNeedView:
        person = self.person_in_scope(conn, staff, reference, "unmet", now)
        if service not in SERVICE_NAMES:
            raise CaseError(N_("Services: {services}."), services=", ".join(SERVICE_NAMES))
        need_id = store.add_unmet(conn, participant_id=person.id, country=person.country,
                                    service=service, note=(note or "").strip()[:2000] or None,
                                    by=f"staff:{staff.pseudonym}", now=now)
        self._audit(conn, staff, "unmet_need.recorded", now, person.pseudonym, service=service)
        return UnmetNeedView(need_id, person.pseudonym, person.country, service,
                             (note or "").strip() or None, now)

    def unmet_needs_of(self, conn: Connection, staff: StaffView, reference: str,
                       now: datetime) -> list[UnmetNeedView]:
        person = self.person_in_scope(conn, staff, reference, "unmet", now)
        self._audit(conn, staff, "unmet_needs.viewed", now, person.pseudonym)
        return [UnmetNeedView(r.id, person.pseudonym, r.country, r.service, r.note,
                              r.created_at) for r in store.unmet_of(conn, person.id)]

    def referrals_of(self, conn: Connection, staff: StaffView, reference: str,
                     now: datetime) -> list[ReferralView]:
        person = self.person_in_scope(conn, staff, reference, "referrals", now)
        self._audit(conn, staff, "referrals.viewed", now, person.pseudonym)
        return [_referral(person.pseudonym, r) for r in store.referrals_of(conn, person.id)]

    def referral_slip(self, conn: Connection, staff: StaffView, referral_id: int,
                      now: datetime) -> dict[str, Any]:
        """What may go to the provider: only the fields the person consented to share with
        them, and nothing unless they did."""
        row = store.referral(conn, referral_id)
        person = (store.load_participant(conn, *_chat(conn, row.participant_id))
                  if row is not None else None)
        if row is None or person is None or not staff.may_see(person.country):
            self._audit(conn, staff, "staff.refused", now, attempt=f"slip:{referral_id}")
            raise CaseError(N_("Sorry, that is not allowed."))
        self._audit(conn, staff, "referral.slip", now, person.pseudonym, referral=row.id)
        if row.consent_at is None or row.status in ("proposed", "declined"):
            return {}
        slip: dict[str, Any] = {"reference": person.pseudonym, "provider": row.provider_name,
                                "service": row.service}
        for field in row.shared or ():
            if field == "need":
                slip["need"] = row.note or row.service
            elif field == "language":
                slip["language"] = person.locale
            elif field == "return_date":
                slip["return_date"] = person.return_date.isoformat() if person.return_date \
                    else None
            elif field == "age_sex":
                slip["sex"] = person.sex
                slip["birth_year"] = person.birth_year
            elif field == "vulnerability":
                slip["vulnerability"] = person.profile
            elif field == "plan":
                plan = store.current_plan(conn, person.id)
                dimension = SERVICE_DIMENSION.get(row.service, "social")
                slip["plan_objectives"] = (Plan.from_json(plan.content).dimension(dimension)
                                           .objectives if plan is not None else None)
        return slip

    # What the returnee answers ------------------------------------------------------

    def answer_referral(self, conn: Connection, person: store.ParticipantRecord,
                        effect: AnswerReferral, now: datetime) -> None:
        row = store.referral(conn, effect.referral_id)
        days = self.packs.get(person.country).referral_follow_up_days
        self.apply(conn, decide_referral_answer(person, row, effect, days, now), now)


def decide_referral_answer(person: Any, row: Any | None, effect: AnswerReferral,
                           follow_up_days: int, now: datetime) -> Changes:
    """The returnee's consent to a referral proposed, or whether they reached the provider
    of one made; pure (``follow_up_days``: the country's wait before asking)."""
    if row is None or row.participant_id != person.id:
        return ()  # not theirs (data from an old conversation): nothing to write
    about = {"person": person.pseudonym, "provider": row.provider_name,
             "service": Msg(SERVICE_NAMES.get(row.service, row.service))}
    if effect.consent is not None and row.status == "proposed":
        return _consented(person, row, effect.consent, follow_up_days, now, about)
    if effect.reached is None or row.status != "made":
        return ()
    changes: list[Change] = [
        UpdateReferral(row.id, {"status": "reached" if effect.reached else "not_reached",
                                "reached": effect.reached, "helped": effect.helped,
                                "answered_at": now}),
        AnswerQuestion(person.id, "referral_outcome", row.id),
        person_audit(person, "referral.outcome", referral=row.id, reached=effect.reached,
                     helped=effect.helped)]
    if not effect.reached:
        changes.append(NotifyTeam(person.id, person.country, (Msg(N_(
            "{person} has not reached {provider} ({service}). Please help them reach "
            "it, or find another way."), about),)))
    elif effect.helped == "no":
        changes.append(NotifyTeam(person.id, person.country, (Msg(N_(
            "{person} reached {provider} ({service}), but says it did not help."), about),)))
    return tuple(changes)


def _consented(person: Any, row: Any, granted: bool, follow_up_days: int, now: datetime,
               about: dict[str, Any]) -> Changes:
    ask_at = now + timedelta(days=follow_up_days) if granted else None
    shared = ", ".join(row.shared or ())
    return (
        UpdateReferral(row.id, {"status": "made" if granted else "declined",
                                "consent_version": CONSENT_VERSION, "consent_at": now,
                                "ask_at": ask_at}),
        RecordConsent(person, f"referral:{row.provider_ref}"[:32], CONSENT_VERSION, granted),
        AnswerQuestion(person.id, "referral_consent", row.id),
        *((AskQuestion(person.id, "referral_outcome", row.id, ask_at),) if ask_at else ()),
        NotifyTeam(person.id, person.country, (Msg(
            N_("{person} agreed to be referred to {provider} for {service}. Share only: "
               "{shared}.") if granted else
            N_("{person} did not agree to be referred to {provider} for {service}: nothing is "
               "shared."), {**about, "shared": shared}),)))


def _chat(conn: Connection, participant_id: int) -> tuple[str, str]:
    row = store.participant_by_id(conn, participant_id)
    return (row.channel, row.chat_id) if row is not None else ("", "")


PROVIDER_USAGE = N_("Use /provider to list the directory, or /provider add NAME | SERVICES | "
                    "CONTACT; services: {services}.")
