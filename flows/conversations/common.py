"""Buttons and actions several flows share."""

from __future__ import annotations

from typing import Any

from flows.engine.events import Button, Msg, OpenEscalation, Reply
from flows.engine.flow import Turn
from flows.l10n.i18n import N_

YES = Button("yes", Msg(N_("Yes")))
NO = Button("no", Msg(N_("No")))
MORE = Button("more", Msg(N_("Tell me more")))
BACK = Button("back", Msg(N_("Back")))

CONSENT_VERSION = "2026-11"

# What the person is told when a person from the team has been alerted. Said only when
# someone was: where nobody could be alerted, the applier replaces it with NOBODY_REACHED.
ALERTED_URGENT = N_("I am worried about what you wrote, and I want you to have help from a "
                    "person. I have alerted the reintegration team; someone will write to you "
                    "here as soon as they can.")
ALERTED_CONFIRMED = N_("Thank you for telling me. I have alerted the reintegration team; "
                       "someone will write to you here as soon as they can. You are not alone.")
ALERTED_UNSAFE = N_("Thank you for telling me that you do not feel safe. I have let the "
                    "reintegration team know, and someone will write to you here.")
ALERTED_SAFETY_NEED = N_("You said you need help with your safety. I have let the "
                         "reintegration team know, and someone will write to you here.")
ALERTED_CASE_MANAGER = N_("Thank you for telling me. Many people feel this way after coming "
                          "back. I have let your case manager know, and they will contact you.")
PASSED_ON = N_("I have passed on your request to talk to a person. A case manager from the "
               "reintegration team will write to you here.")
ALERTED = frozenset({ALERTED_URGENT, ALERTED_CONFIRMED, ALERTED_UNSAFE, ALERTED_SAFETY_NEED,
                     ALERTED_CASE_MANAGER, PASSED_ON})
NOBODY_REACHED = N_("I could not reach anyone from the reintegration team just now. Your "
                    "message is kept, and a person will see it. If you are in danger, please "
                    "use the emergency numbers.")
# The words a person writes are kept whole, encrypted: a Telegram message holds at most
# 4096 characters, so one message is never cut. Only a longer text (from the terminal) is,
# and the person is told what was kept.
WORDS_LIMIT = 4096
KEPT_PART = N_("That was long, so I kept the first {n} characters.")
FOLLOW_UP = "follow_up"
SHARING = "case_manager_sharing"


def kept_words(turn: Turn, text: str) -> str:
    """The person's words as kept: whole, or the first WORDS_LIMIT characters, said."""
    words = text.strip()
    if len(words) > WORDS_LIMIT:
        turn.say(KEPT_PART, n=WORDS_LIMIT)
    return words[:WORDS_LIMIT]


def request_person(turn: Turn) -> None:
    """Record that the person wants a human, and tell them honestly what happens next."""
    turn.emit(OpenEscalation(tier=3, category="asked_for_person", source="asked_for_person"))
    turn.say(PASSED_ON)
    turn.effects.append(Reply(emergency_lines(turn.pack, turn.participant.returned)))


def emergency_lines(pack: Any, returned: bool | None) -> Msg:
    """The country's safe emergency numbers; for someone not yet back, said as the numbers
    for after their return (they are not local yet); a generic line without a pack."""
    contacts = pack.safe_contacts if pack is not None else []
    if not contacts:
        return Msg(N_("If you are in danger right now, please call your local emergency "
                      "number."))
    lines = "\n".join(f"{c.name}: {c.number}" for c in contacts)
    if returned is False:
        return Msg(N_("If you are in danger where you are now, please call the local "
                      "emergency number there. Once you are back in {country}, you can "
                      "call:\n{numbers}"), {"country": pack.name, "numbers": lines})
    return Msg(N_("If you are in danger right now, please call:\n{numbers}"),
               {"numbers": lines})

