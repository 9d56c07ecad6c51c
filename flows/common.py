"""Buttons and actions several flows share."""

from __future__ import annotations

from flows.events import Button, Msg, OpenEscalation
from flows.flow import Turn
from flows.i18n import N_

YES = Button("yes", Msg(N_("Yes")))
NO = Button("no", Msg(N_("No")))
MORE = Button("more", Msg(N_("Tell me more")))
BACK = Button("back", Msg(N_("Back")))

CONSENT_VERSION = "2026-11"
FOLLOW_UP = "follow_up"
SHARING = "case_manager_sharing"


def request_person(turn: Turn) -> None:
    """Record that the person wants a human, and tell them honestly what happens next."""
    turn.emit(OpenEscalation(tier=3, category="asked_for_person", source="asked_for_person"))
    turn.say(
        N_(
            "I have passed on your request to talk to a person. A case manager from the "
            "reintegration team will write to you here. If you are in danger right now, "
            "please call your local emergency number."
        )
    )
