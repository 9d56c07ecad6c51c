"""Onboarding: language, what this assistant is, consent per purpose, then the return.

Refusing the follow-up consent leaves an information-only assistant and stores nothing
beyond the refusal itself: no country, no dates.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from flows.conversations.common import CONSENT_VERSION, FOLLOW_UP, SHARING
from flows.conversations.onboarding_questions import OnboardingQuestions
from flows.engine.events import MarkOnboarded, RecordConsent, SetProfile
from flows.engine.flow import Flow
from flows.l10n.dates import DateInputError, DateProblem, long_date, read_dates
from flows.l10n.i18n import N_
from flows.l10n.places import country_name, find_country


class Onboarding(OnboardingQuestions, Flow):
    name = "onboarding"
    states: list[dict[str, Any]] = [
        {"name": "language"},
        {"name": "about"},
        {"name": "consent_follow_up"},
        {"name": "consent_sharing"},
        {"name": "country"},
        {"name": "returned"},
        {"name": "return_date"},
        {"name": "planned_date"},
        {"name": "date_check"},
    ]
    transitions: list[dict[str, Any]] = [
        {"trigger": "lang", "source": "language", "dest": "about", "after": "set_language"},
        {"trigger": "next", "source": "about", "dest": "consent_follow_up"},
        {"trigger": "more", "source": "about", "dest": None, "after": "explain_about"},
        {"trigger": "yes", "source": "consent_follow_up", "dest": "consent_sharing",
         "after": "grant_follow_up"},
        {"trigger": "no", "source": "consent_follow_up", "dest": "consent_sharing",
         "after": "refuse_follow_up"},
        {"trigger": "more", "source": "consent_follow_up", "dest": None,
         "after": "explain_follow_up"},
        {"trigger": "back", "source": ["consent_follow_up", "consent_sharing", "country",
                                        "returned", "return_date", "planned_date",
                                        "date_check"],
         "dest": None, "conditions": "editing", "after": "leave_unchanged"},
        {"trigger": "yes", "source": "consent_sharing", "dest": "country",
         "conditions": "needs_profile", "after": "grant_sharing"},
        {"trigger": "yes", "source": "consent_sharing", "dest": None,
         "unless": "needs_profile", "after": ["grant_sharing", "finish"]},
        {"trigger": "no", "source": "consent_sharing", "dest": "country",
         "conditions": "needs_profile", "after": "refuse_sharing"},
        {"trigger": "no", "source": "consent_sharing", "dest": None,
         "unless": "needs_profile", "after": ["refuse_sharing", "finish"]},
        {"trigger": "more", "source": "consent_sharing", "dest": None,
         "after": "explain_sharing"},
        {"trigger": "text", "source": "country", "dest": None,
         "conditions": ["editing_country", "known_country"], "after": ["set_country", "finish"]},
        {"trigger": "country", "source": "country", "dest": None,
         "conditions": ["editing_country", "known_country"], "after": ["set_country", "finish"]},
        {"trigger": "text", "source": "country", "dest": "returned",
         "conditions": "known_country", "after": "set_country"},
        {"trigger": "country", "source": "country", "dest": "returned",
         "conditions": "known_country", "after": "set_country"},
        {"trigger": "yes", "source": "returned", "dest": "return_date"},
        {"trigger": "no", "source": "returned", "dest": "planned_date"},
        {"trigger": "text", "source": "return_date", "dest": "date_check",
         "conditions": "past_date"},
        {"trigger": "today", "source": "return_date", "dest": None,
         "after": ["set_returned_today", "finish"]},
        {"trigger": "text", "source": "planned_date", "dest": "date_check",
         "conditions": "future_date"},
        {"trigger": "unknown", "source": "planned_date", "dest": None,
         "after": ["set_no_planned_date", "finish"]},
        # The date as read, said back in the person's calendar and the Gregorian one (both
        # readings as buttons when it can be read two ways), or typed again.
        {"trigger": "pick", "source": "date_check", "dest": None,
         "conditions": "read_before", "after": ["set_date", "finish"]},
        {"trigger": "text", "source": "date_check", "dest": None, "conditions": "reread"},
        {"trigger": "retype", "source": "date_check", "dest": "return_date",
         "conditions": "asking_return"},
        {"trigger": "retype", "source": "date_check", "dest": "planned_date",
         "unless": "asking_return"},
    ]

    # Prompts: what each state asks.


    # Conditions.
    def needs_profile(self, _value: str = "") -> bool:
        return bool(self.data.get(FOLLOW_UP)) and self.participant.country is None

    def editing(self, _value: str = "") -> bool:
        """Asked again from /privacy (a choice or a detail), not for the first time."""
        return bool(self.data.get("_edit"))

    def leave_unchanged(self, _value: str = "") -> None:
        if self.state == "consent_follow_up" or self.data.get("_edit") != "consents":
            self.say(N_("Nothing has changed."))
        self.turn.switch("privacy")

    def editing_country(self, _value: str = "") -> bool:
        return self.data.get("_edit") == "country"

    def known_country(self, text: str) -> bool:
        code = find_country(text, self.participant.locale)
        if code is None:
            return self.turn.reject(
                N_("I do not know that country. Please write its name, for example: {example}"),
                example=country_name("SN", self.participant.locale),
            )
        self.data["country"] = code
        return True

    def _readings(self, text: str, valid: Callable[[date], str | None]) -> bool:
        """Keep the readings of ``text`` that suit the question (``valid`` says why one
        does not); False, with the reason, when none does."""
        p = self.participant
        try:
            readings = read_dates(text, p.locale, p.country)
        except DateInputError as exc:
            if exc.problem is DateProblem.IMPOSSIBLE:
                return self.turn.reject(
                    N_("That date does not exist. Please check the day and month."))
            return self.turn.reject(
                N_("I could not read that date. Please write it like this: {example}"),
                example=self.example(self.asking_return()))
        problems = [valid(value) for value in readings]
        kept = [value.isoformat() for value, problem in zip(readings, problems, strict=True)
                if problem is None]
        if not kept:
            return self.turn.reject(problems[0] or "")
        self.data["readings"] = kept
        return True

    def past_date(self, text: str) -> bool:
        self.data["asking"] = "return"
        today = self.turn.now.date()

        def valid(value: date) -> str | None:
            if value > today:
                return N_("That date is in the future. On what date did you arrive?")
            if value < today - timedelta(days=365 * 30):
                return N_("That date is too long ago. Please check the year.")
            return None
        return self._readings(text, valid)

    def future_date(self, text: str) -> bool:
        self.data["asking"] = "planned"
        today = self.turn.now.date()

        def valid(value: date) -> str | None:
            if value < today:
                return N_("That date has already passed. On what date do you plan to return?")
            if value > today + timedelta(days=365 * 5):
                return N_("That date is very far away. Please check the year.")
            return None
        return self._readings(text, valid)

    def asking_return(self, _value: str = "") -> bool:
        return self.data.get("asking") != "planned"

    def read_before(self, value: str) -> bool:
        """Only a reading the question showed can be picked."""
        return value in self.data.get("readings", ())

    def reread(self, text: str) -> bool:
        """A date typed again at the check replaces the one read."""
        return self.past_date(text) if self.asking_return() else self.future_date(text)

    # Callbacks.
    def set_language(self, code: str) -> None:
        if code in self.turn.languages:
            self.turn.emit(SetProfile({"locale": code}))

    def explain_about(self, _value: str = "") -> None:
        self.say(
            N_(
                "I am a computer program run by the reintegration programme. I answer with "
                "prepared messages. I cannot give advice on your situation, but a case "
                "manager can. What you tell me is stored securely. If you tell me that your "
                "life or safety is at risk, I alert a case manager, so I cannot promise "
                "that everything stays between us."
            )
        )

    def explain_follow_up(self, _value: str = "") -> None:
        self.say(
            N_(
                "Follow-up messages are short check-ins: every two weeks at first, then "
                "once a month, for about a year. You can pause them with /stop. Saying no "
                "does not change the assistance you receive."
            )
        )

    def explain_sharing(self, _value: str = "") -> None:
        self.say(
            N_(
                "Your case manager works for the reintegration programme. They see your "
                "answers to check-ins and surveys, so they can help you. They never share "
                "them with the police or immigration authorities. Saying no does not change "
                "the assistance you receive."
            )
        )

    def _consent(self, purpose: str, granted: bool) -> None:
        self.data[purpose] = granted
        self.turn.emit(RecordConsent(purpose, CONSENT_VERSION, granted))

    def grant_follow_up(self, _value: str = "") -> None:
        self._consent(FOLLOW_UP, True)

    def refuse_follow_up(self, _value: str = "") -> None:
        self._consent(FOLLOW_UP, False)
        # Information only: keep nothing about the return, also if it was given before.
        self.turn.emit(SetProfile({"country": None, "returned": None, "return_date": None}))

    def grant_sharing(self, _value: str = "") -> None:
        self._consent(SHARING, True)

    def refuse_sharing(self, _value: str = "") -> None:
        self._consent(SHARING, False)

    def set_country(self, _text: str) -> None:
        self.turn.emit(SetProfile({"country": self.data["country"]}))

    def set_date(self, iso: str) -> None:
        value = date.fromisoformat(iso)
        returned = self.asking_return()
        self.turn.emit(SetProfile({"returned": returned, "return_date": value}))
        when = long_date(value, self.participant.locale, self.participant.country)
        if returned:
            self.say(N_("Thank you. You arrived on {date}."), date=when)
        else:
            self.say(N_("Thank you. You plan to return on {date}."), date=when)

    def set_returned_today(self, _value: str = "") -> None:
        today = self.turn.now.date()
        self.turn.emit(SetProfile({"returned": True, "return_date": today}))
        self.say(N_("Thank you. You arrived on {date}."),
                 date=long_date(today, self.participant.locale, self.participant.country))

    def set_no_planned_date(self, _value: str = "") -> None:
        self.turn.emit(SetProfile({"returned": False, "return_date": None}))

    def finish(self, _value: str = "") -> None:
        edited = self.data.get("_edit")  # asked again from /privacy: back there after
        if self.data.get(FOLLOW_UP) is False:
            self.say(
                N_(
                    "That is fine. I will not send you follow-up messages and I keep nothing "
                    "about you except this choice. You can still read information and ask "
                    "for a person at any time with /help. You can change your mind in "
                    "/privacy."
                )
            )
        elif edited:
            self.say(N_("Thank you, I have changed it."))
            if edited != "consents" and self.participant.consents.get(FOLLOW_UP) is True:
                self.say(N_("Your follow-up messages are planned again from your details."))
        else:
            self.say(N_("Thank you, you are all set."))
        if edited and self.participant.onboarded:
            self.turn.switch("privacy")
            return
        if not self.participant.onboarded:
            self.turn.emit(MarkOnboarded())
        self.turn.switch("menu")
