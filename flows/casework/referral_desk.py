"""Referral commands in Telegram: /provider (the directory, and adding to it), /refer (a
referral, or a person's referrals) and /unmet (a need no provider meets)."""

from __future__ import annotations

from datetime import datetime

from flows.casework.case_base import CaseError
from flows.casework.referrals import PROVIDER_USAGE, Referrals
from flows.casework.staff import StaffView
from flows.casework.vocabulary import SERVICE_NAMES, SHARED_NAMES
from flows.l10n.i18n import N_
from storage.casestore import Connection

REFER_USAGE = N_("Use /refer PERSON PROVIDER SERVICE [share=need,language,…] [note], or "
                 "/refer PERSON to list their referrals. Services: {services}. What may be "
                 "shared: {fields}.")


class ReferralDesk(Referrals):
    def _cmd_provider(self, conn: Connection, staff: StaffView, args: str,
                      now: datetime) -> None:
        head, _, rest = args.strip().partition(" ")
        if head.lower() == "add":
            parts = [p.strip() for p in rest.split("|")]
            if len(parts) < 2:
                raise CaseError(PROVIDER_USAGE, services=", ".join(SERVICE_NAMES))
            services = [s.strip().lower() for s in parts[1].split(",") if s.strip()]
            added = self.add_provider(conn, staff, parts[0], services,
                                      parts[2] if len(parts) > 2 else "", now)
            self._reply(conn, staff, now, N_("Added to the directory as {ref}: {name}."),
                        ref=added.ref, name=added.name)
            return
        if head:
            raise CaseError(PROVIDER_USAGE, services=", ".join(SERVICE_NAMES))
        listed = self.directory(conn, staff.country)
        self._reply(conn, staff, now, N_("Referral directory:\n{lines}\n\n/refer PERSON "
                                         "PROVIDER SERVICE to refer someone."),
                    lines="\n".join(f"{p.ref} {p.name} ({', '.join(p.services)})"
                                    f"{' ' + p.contact if p.contact else ''}"
                                    for p in listed) or "-")

    def _cmd_refer(self, conn: Connection, staff: StaffView, args: str,
                   now: datetime) -> None:
        words = args.split(maxsplit=3)
        usage = CaseError(REFER_USAGE, services=", ".join(SERVICE_NAMES),
                          fields=", ".join(SHARED_NAMES))
        if len(words) == 1:
            found = self.referrals_of(conn, staff, words[0], now)
            self._reply(conn, staff, now, N_("Referrals of {person}:\n{lines}"),
                        person=words[0].upper(), lines="\n".join(
                            f"#{r.id} {r.created_at:%Y-%m-%d} {r.provider_ref} {r.provider} "
                            f"{r.service} {r.status}"
                            f"{' helped=' + r.helped if r.helped else ''}" for r in found)
                        or "-")
            return
        if len(words) < 3:
            raise usage
        reference, provider, service = words[0], words[1], words[2].lower()
        rest = words[3] if len(words) > 3 else ""
        shared: tuple[str, ...] = ()
        if rest.startswith("share="):
            token, _, rest = rest.partition(" ")
            shared = tuple(f.strip().lower() for f in token[6:].split(",") if f.strip())
        done = self.refer(conn, staff, reference, provider, service, shared, rest, now)
        self._reply(conn, staff, now, N_("Referral #{id} proposed: {person} to {provider} for "
                                         "{service}. They will be asked for their consent, "
                                         "naming what would be shared: {shared}."),
                    id=done.id, person=done.person, provider=done.provider,
                    service=done.service, shared=", ".join(done.shared))

    def _cmd_unmet(self, conn: Connection, staff: StaffView, args: str,
                   now: datetime) -> None:
        words = args.split(maxsplit=2)
        if len(words) < 2:
            raise CaseError(N_("Use /unmet PERSON SERVICE [note]: a need no provider meets. "
                               "Services: {services}."), services=", ".join(SERVICE_NAMES))
        need = self.record_unmet(conn, staff, words[0], words[1].lower(),
                                 words[2] if len(words) > 2 else None, now)
        self._reply(conn, staff, now, N_("Unmet need recorded for {person}: {service}. It "
                                         "goes into the unmet-needs export for advocacy."),
                    person=need.person, service=need.service)
