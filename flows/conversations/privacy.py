"""My data and privacy: what is kept (by kind, with dates, including alerts that quote the
person's own words), changing details and choices (each with a way back), deleting it all."""

from __future__ import annotations

from typing import Any

from flows.conversations.common import BACK, FOLLOW_UP, SHARING
from flows.engine.events import Button, DeleteMyData, Msg
from flows.engine.flow import Flow, Prompt
from flows.l10n.dates import long_date
from flows.l10n.i18n import N_, autonym
from flows.l10n.places import country_name

# What each kind of record is, for the person (storage.privacy names the kinds).
KINDS: dict[str, str] = {
    "checkins": N_("Check-in answers (your mood, what happened, your needs and notes): {n}"),
    "wmodel": N_("Good and hard moments in your own words (W model): {n}"),
    "reflections": N_("Hopes and plans in your own words: {n}"),
    "providers": N_("Services and people you named as helpful: {n}"),
    "surveys": N_("Completed surveys, with their scores: {n}"),
    "survey_draft": N_("An unfinished survey, with its answers so far: {n}"),
    "alerts": N_("Requests for a person and alerts to the team about you: {n}"),
    "own_words": N_("Your own words, quoted in alerts to the team: {n}"),
    "consents": N_("Your answers to the consent questions: {n}"),
}


class Privacy(Flow):
    name = "privacy"
    states: list[dict[str, Any]] = [{"name": "overview"}, {"name": "confirm_delete"},
                                    {"name": "details"}]
    transitions: list[dict[str, Any]] = [
        {"trigger": "show", "source": "overview", "dest": None, "after": "show_data"},
        {"trigger": "details", "source": "overview", "dest": "details"},
        {"trigger": "edit", "source": "details", "dest": None, "after": "edit_detail"},
        {"trigger": "back", "source": "details", "dest": "overview"},
        {"trigger": "consents", "source": "overview", "dest": None, "after": "change_consents"},
        {"trigger": "delete", "source": "overview", "dest": "confirm_delete"},
        {"trigger": "back", "source": "overview", "dest": None, "after": "to_menu"},
        {"trigger": "yes", "source": "confirm_delete", "dest": None, "after": "delete"},
        {"trigger": "no", "source": "confirm_delete", "dest": "overview", "after": "kept"},
    ]

    def prompt_overview(self) -> Prompt:
        return Prompt(
            Msg(
                N_(
                    "You decide about your data. You can see what I keep, change your "
                    "choices, or delete everything. Your assistance does not depend on it."
                )
            ),
            (
                Button("show", Msg(N_("What do you keep about me?"))),
                Button("details", Msg(N_("Change my details"))),
                Button("consents", Msg(N_("Change my choices"))),
                Button("delete", Msg(N_("Delete my data"))),
                BACK,
            ),
        )

    def prompt_confirm_delete(self) -> Prompt:
        return Prompt(
            Msg(
                N_(
                    "Delete everything I keep about you? This cannot be undone. If you write "
                    "again later, we start from the beginning."
                )
            ),
            (Button("yes", Msg(N_("Yes, delete"))), Button("no", Msg(N_("No, keep it")))),
        )

    def prompt_details(self) -> Prompt:
        return Prompt(
            Msg(N_("Which detail do you want to change? Your follow-up messages are planned "
                   "again from what you tell me.")),
            (Button("edit:country", Msg(N_("My country of return"))),
             Button("edit:date", Msg(N_("My date of return"))),
             BACK),
        )

    def edit_detail(self, what: str) -> None:
        """Ask the onboarding question again; it comes back here when answered."""
        if what == "country":
            self.turn.carry["_edit"] = "country"
            self.turn.switch("onboarding", "country")
        elif what == "date":
            self.turn.carry["_edit"] = "date"
            self.turn.switch("onboarding", "returned")

    def show_data(self, _value: str = "") -> None:
        p = self.participant
        unknown = Msg(N_("not given"))
        consent_words = {True: Msg(N_("yes")), False: Msg(N_("no")), None: unknown}
        when: Msg | str = unknown
        if p.return_date is not None:
            when = long_date(p.return_date, p.locale, p.country)
        self.say(
            N_(
                "This is what I keep about you:\n"
                "Language: {language}\n"
                "Country of return: {country}\n"
                "Date of return: {date}\n"
                "Follow-up messages: {follow_up}\n"
                "Sharing with a case manager: {sharing}\n"
                "Your reference: {pseudonym}"
            ),
            language=autonym(p.locale),
            country=country_name(p.country, p.locale) if p.country else unknown,
            date=when,
            follow_up=consent_words[p.consents.get(FOLLOW_UP)],
            sharing=consent_words[p.consents.get(SHARING)],
            pseudonym=p.pseudonym,
        )
        self.say(N_("{first}\n{rest}"), first=Msg(N_("I also keep:")), rest=self._kinds())
        case = self.turn.records.case_counts()
        if any(case.values()):
            self.say(N_("With your case manager: versions of your plan: {plans}, referrals to "
                        "services: {referrals}, sessions held: {sessions} (with their notes). "
                        "My plan shows the current plan."),
                     plans=case.get("plan_versions", 0), referrals=case.get("referrals", 0),
                     sessions=case.get("sessions", 0))

    def _kinds(self) -> Msg:
        """Each kind of record kept, how many and from when to when."""
        p = self.participant
        lines: list[Msg] = []
        for kept in self.turn.records.kept():
            if kept.kind not in KINDS or kept.first is None or kept.last is None:
                continue
            first = long_date(kept.first.date(), p.locale, p.country)
            last = long_date(kept.last.date(), p.locale, p.country)
            when = (Msg(N_("on {date}"), {"date": first}) if first == last
                    else Msg(N_("from {first} to {last}"), {"first": first, "last": last}))
            lines.append(Msg(N_("• {what}, {when}"), {
                "what": Msg(KINDS[kept.kind], {"n": kept.count}), "when": when}))
        if not lines:
            return Msg(N_("Nothing else: no check-ins, notes, surveys or alerts."))
        listed = lines[-1]
        for line in reversed(lines[:-1]):
            listed = Msg(N_("{first}\n{rest}"), {"first": line, "rest": listed})
        return listed

    def change_consents(self, _value: str = "") -> None:
        self.turn.carry["_edit"] = "consents"  # a way back to here
        self.turn.switch("onboarding", "consent_follow_up")

    def delete(self, _value: str = "") -> None:
        self.turn.emit(DeleteMyData())
        self.say(
            N_(
                "Your data has been deleted. Thank you for the time you spent with me. If you "
                "write again, we will start from the beginning."
            )
        )

    def kept(self, _value: str = "") -> None:
        self.say(N_("Nothing was deleted."))

    def to_menu(self, _value: str = "") -> None:
        self.turn.back()
