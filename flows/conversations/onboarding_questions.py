"""Onboarding's questions: what each state asks (its prompt); the flow, its transitions
and callbacks are in onboarding.py.
"""
from __future__ import annotations

from flows.conversations.common import MORE, NO, YES
from flows.engine.events import Button, Msg
from flows.engine.flow import Prompt
from flows.l10n.dates import example_date
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
            (YES, NO, MORE),
        )

    def prompt_consent_sharing(self) -> Prompt:
        return Prompt(
            Msg(
                N_(
                    "May I share your answers with your case manager, so they can support "
                    "you? Only what your support needs is shared."
                )
            ),
            (YES, NO, MORE),
        )

    def prompt_country(self) -> Prompt:
        hint = self.turn.event.country_hint
        buttons = ((Button(f"country:{hint}", country_name(hint, self.participant.locale)),)
                   if hint else ())
        return Prompt(
            Msg(N_("Which country are you returning to? Please write its name.")),
            buttons, free_text=True,
        )

    def prompt_returned(self) -> Prompt:
        return Prompt(
            Msg(N_("Have you already arrived back in {country}?"),
                {"country": country_name(self.data.get("country", ""), self.participant.locale)}),
            (Button("yes", Msg(N_("Yes, I am back"))), Button("no", Msg(N_("Not yet")))),
        )

    def prompt_return_date(self) -> Prompt:
        return Prompt(
            Msg(N_("On what date did you arrive? For example: {example}"),
                {"example": example_date(self.participant.locale)}),
            (Button("today", Msg(N_("Today"))),),
            free_text=True,
        )

    def prompt_planned_date(self) -> Prompt:
        return Prompt(
            Msg(N_("On what date do you plan to return? For example: {example}"),
                {"example": example_date(self.participant.locale)}),
            (Button("unknown", Msg(N_("I don't know yet"))),),
            free_text=True,
        )
