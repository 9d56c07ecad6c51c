"""Onboarding's questions: what each state asks (its prompt); the flow, its transitions
and callbacks are in onboarding.py.
"""
from __future__ import annotations

from datetime import date

from flows.conversations.common import BACK, MORE, NO, YES
from flows.engine.events import Button, Msg
from flows.engine.flow import Prompt
from flows.l10n.dates import example_date, long_date
from flows.l10n.i18n import N_, autonym
from flows.l10n.places import country_name


class OnboardingQuestions:
    """What each state of the Onboarding flow asks."""

    def prompt_language(self) -> Prompt:
        buttons = tuple(Button(f"lang:{code}", autonym(code)) for code in self.turn.languages)
        return Prompt(Msg(N_("Hello. Which language do you want to use?")), buttons)

    def prompt_about(self) -> Prompt:
        return Prompt(
            Msg(
                N_(
                    "I am Homecoming, an automated assistant. I am not a person and not a "
                    "counsellor. I can give you information, check in with you after your "
                    "return, and put you in touch with a case manager when you need one."
                )
            ),
            (Button("next", Msg(N_("Continue"))), MORE),
        )

    def prompt_consent_follow_up(self) -> Prompt:
        return Prompt(
            Msg(
                N_(
                    "May I send you follow-up messages after your return, to ask how you "
                    "are? You can stop them at any time."
                )
            ),
            (YES, NO, MORE, *self.way_back()),
        )

    def way_back(self) -> tuple[Button, ...]:
        """Back, when the question is asked again from /privacy."""
        return (BACK,) if self.data.get("_edit") else ()

    def prompt_consent_sharing(self) -> Prompt:
        return Prompt(
            Msg(
                N_(
                    "May I share your answers with your case manager, so they can support "
                    "you? Only what your support needs is shared."
                )
            ),
            (YES, NO, MORE, *self.way_back()),
        )

    def prompt_country(self) -> Prompt:
        hint = self.turn.event.country_hint
        buttons = ((Button(f"country:{hint}", country_name(hint, self.participant.locale)),)
                   if hint else ()) + self.way_back()
        return Prompt(
            Msg(N_("Which country are you returning to? Please write its name.")),
            buttons, free_text=True,
        )

    def prompt_returned(self) -> Prompt:
        return Prompt(
            Msg(N_("Have you already arrived back in {country}?"),
                {"country": country_name(self.data.get("country") or self.participant.country or "",
                                     self.participant.locale)}),
            (Button("yes", Msg(N_("Yes, I am back"))), Button("no", Msg(N_("Not yet"))),
             *self.way_back()),
        )

    def example(self, past: bool) -> str:
        """A date that answers the question (the 14th of last month, or of three months
        on), written as this person would type it."""
        today = self.turn.now.date()
        months = today.year * 12 + today.month - 1 + (-1 if past else 3)
        value = date(months // 12, months % 12 + 1, 14)
        return example_date(self.participant.locale, self.participant.country, value)

    def prompt_return_date(self) -> Prompt:
        return Prompt(
            Msg(N_("On what date did you arrive? For example: {example}"),
                {"example": self.example(past=True)}),
            (Button("today", Msg(N_("Today"))),),
            free_text=True,
        )

    def prompt_planned_date(self) -> Prompt:
        return Prompt(
            Msg(N_("On what date do you plan to return? For example: {example}"),
                {"example": self.example(past=False)}),
            (Button("unknown", Msg(N_("I don't know yet"))),),
            free_text=True,
        )

    def prompt_date_check(self) -> Prompt:
        p = self.participant
        readings = [date.fromisoformat(iso) for iso in self.data.get("readings", ())]
        if not readings:  # a place kept from before this question existed
            readings = [self.turn.now.date()]
            self.data["readings"] = [readings[0].isoformat()]
        shown = [long_date(value, p.locale, p.country) for value in readings]
        retype = Button("retype", Msg(N_("No, I will write it again")))
        if len(readings) > 1:
            return Prompt(
                Msg(N_("This date can be read in more than one way. Which one do you mean?")),
                (*(Button(f"pick:{value.isoformat()}", label)
                   for value, label in zip(readings, shown, strict=True)),
                 Button("retype", Msg(N_("Neither, I will write it again")))),
                free_text=True,
            )
        question = (N_("You arrived on {date}. Is that right?")
                    if self.data.get("asking") != "planned"
                    else N_("You plan to return on {date}. Is that right?"))
        return Prompt(Msg(question, {"date": shown[0]}),
                      (Button(f"pick:{readings[0].isoformat()}", Msg(N_("Yes, that is right"))),
                       retype),
                      free_text=True)
