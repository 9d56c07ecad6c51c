"""Routing and deciding one turn: global interrupts (commands, media, distress in free text),
then the current flow's state machine. Pure: it reads the Turn (and the person's records
through its read-only interface) and returns the new place; what must be written is left in
``turn.effects`` for the applier.
"""

from __future__ import annotations

import re

from flows.conversations.common import (
    ALERTED_CASE_MANAGER,
    ALERTED_URGENT,
    FOLLOW_UP,
    SHARING,
    emergency_lines,
    request_person,
)
from flows.conversations.safety import escalation, screening
from flows.conversations.survey import expire_if_stale
from flows.engine.context import Context
from flows.engine.events import EventKind, Msg, OpenEscalation, Reply, SetPaused
from flows.engine.flow import RESUME, Flow, Prompt, Turn
from flows.l10n.i18n import N_
from flows.l10n.places import fold
from flows.triage.language import detect
from storage import repository as repo

_FINAL_YEH = re.compile("(?<=[\u0621-\u064a])\u064a(?= |$)")


def _loose(folded: str) -> str:
    """A folded label with the final yeh of Arabic words dropped: "تخطي", the form many
    type, and "تخطَّ", the imperative on the button, are one answer."""
    return _FINAL_YEH.sub("", folded)


SIDE_TRIPS = {"language": "language", "privacy": "privacy", "stop": "pause"}


def commands_now(turn: Turn) -> list[str]:
    """The commands this person can use now (the unknown-command reply lists them)."""
    person = turn.participant
    if not person.onboarded:
        return ["/help", "/language", "/privacy"]
    return ["/menu", "/help", "/language", "/privacy",
            "/resume" if person.paused else "/stop",
            *(["/checkin"] if person.consents.get(FOLLOW_UP) is True else []),
            "/wmodel", "/survey"]


def offer_language(turn: Turn, flow: Flow) -> bool:
    """Words in another language we speak, where a button was expected: offer it."""
    if flow.name in ("onboarding", "language", "offer_language", "safety"):
        return False
    written = detect(turn.event.text, turn.languages)
    if written is None or written == turn.participant.locale.split("_")[0]:
        return False
    turn.carry["offer"] = written
    turn.switch("offer_language", come_back=True)
    return True


class Router:
    """Decides each turn; keeps only the folded labels of fixed buttons in memory."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._label_cache: dict[tuple[str, str], tuple[str, str]] = {}

    def run(self, turn: Turn, conversation: repo.ConversationRecord) -> tuple[str, str]:
        """Decide the turn: interrupts first, then the current flow. Returns the new place."""
        flow_name, state = conversation.flow, conversation.state
        if flow_name not in self.ctx.flows:
            flow_name, state, turn.data = self._home(turn), "", {}
        expired = conversation.expires_at is not None and turn.now > conversation.expires_at
        event = turn.event
        if expired and (event.kind is not EventKind.COMMAND or event.command == "continue"):
            # A wait that ran out: start from a known place instead of answering a question
            # the person has long forgotten.
            turn.data = {}
            flow_name = self._home(turn)
            if flow_name != conversation.flow or state != self.ctx.flows[flow_name].initial:
                turn.say(N_("Welcome back. It has been a while, so let us start again from "
                            "here."))
            return flow_name, self.ctx.flows[flow_name].initial
        flow = self.ctx.flows[flow_name](turn, state)

        if event.kind is EventKind.COMMAND:
            self._command(turn, flow)
        elif event.kind is EventKind.MEDIA:
            self._media(turn)
        elif event.edited:
            self._distress(turn)
        elif event.kind is EventKind.BUTTON:
            self._answer(turn, flow, flow.prompt())
        else:
            # A typed answer that names a button is that answer; other text is read for
            # distress first. The question is worked out once for both.
            prompt = flow.prompt()
            matched = self.match_button(turn.participant.locale, prompt, event.text)
            if matched is not None or not self._distress(turn, prompt):
                self._answer(turn, flow, prompt, matched)

        if turn.next_flow is None:
            return flow_name, flow.state
        return self._switch(turn, flow_name, flow.state)

    def _distress(self, turn: Turn, prompt: Prompt | None = None) -> bool:
        """Triage free text; True when it showed distress and was answered as such.

        Tier 1 always reaches a person (life may be at risk). A possible Tier 1 signal gets
        the direct question first (the safety flow). Tiers 2 and 3 reach a person when the
        person agreed to share with a case manager; otherwise they are offered a person.
        After a Tier 1 or 2 alert the person stays in a calm place (the safety flow): what
        they write next is never taken as the answer to an earlier question. A Tier 3 notice
        reaches the case manager and the text is still the answer to the question asked
        (False: the flow goes on).
        """
        person = turn.participant
        result = self.ctx.triage.assess(turn.event.text, [person.locale, "en"], turn.embedded)
        if result.action == "none" or result.tier is None:
            return False
        if result.action == "alert" and result.tier == 3 and prompt is not None and (
                prompt.own_words):
            return False
        if result.action == "ask":
            turn.emit(screening(result, turn.event.text))
            turn.carry["_screen"] = {"category": result.categories[0] if result.categories
                                    else "suicide", "otherwise": result.otherwise}
            turn.switch("safety", "screen", come_back=True)
            return True
        if result.tier > 1 and person.consents.get(SHARING) is not True:
            turn.say(N_("Thank you for telling me. Many people feel this way after coming "
                        "back, and it is not your fault."))
            turn.switch("offer_person", come_back=True)
            return True
        turn.emit(escalation(result, turn.event.text))
        if result.tier == 1:
            turn.say(ALERTED_URGENT)
            turn.effects.append(Reply(emergency_lines(turn.pack, person.returned)))
        else:
            turn.say(ALERTED_CASE_MANAGER)
        if result.tier <= 2:  # a calm place, with the way back, a person and the numbers
            turn.switch("safety", "with_you", come_back=True)
            return True
        # Tier 3 (a worry for the case manager to know of) is also the person's answer: the
        # conversation goes on from it, and nothing they told us is lost
        return False

    def _media(self, turn: Turn) -> None:
        """Voice messages and files cannot be read here: they go to a person, with consent."""
        if turn.participant.consents.get(SHARING) is True and turn.event.ref:
            turn.emit(OpenEscalation(tier=3, category="media", source="voice_media",
                                     media_ref=turn.event.ref))
            turn.say(N_("I cannot listen to voice messages or open files, so I have passed "
                        "yours to a person from the reintegration team."))
        else:
            turn.say(N_("I can only read text messages. If you want to talk to a person, "
                        "send /help."))

    def _home(self, turn: Turn) -> str:
        return "menu" if turn.participant.onboarded else "onboarding"

    def _switch(self, turn: Turn, flow_name: str, state: str) -> tuple[str, str]:
        target, target_state = turn.next_flow or "", turn.next_state
        if target == RESUME:
            saved = turn.data.get("_resume")
            if saved:
                target, target_state, data = saved[0], saved[1], dict(saved[2])
            else:
                target, target_state, data = self._home(turn), None, {}
        elif turn.come_back and flow_name == target and "_resume" in turn.data:
            data = {"_resume": turn.data["_resume"]}  # from the safety flow to itself
        elif turn.come_back:
            data = {"_resume": [flow_name, state, turn.data]}
        else:
            data = {}
        data.update(turn.carry)
        if target not in self.ctx.flows:
            target, target_state, data = self._home(turn), None, {}
        turn.data = data
        cls = self.ctx.flows[target]
        return target, target_state or cls.initial

    def _command(self, turn: Turn, flow: Flow) -> None:
        command = turn.event.command
        onboarded = turn.participant.onboarded
        if command == "continue":
            pass  # the question the person was at, asked again (a terminal chat restarting)
        elif command == "start":
            if onboarded and flow.name != "menu":
                turn.switch("menu")
        elif command == "menu":
            if onboarded:
                turn.switch("menu")
            else:
                turn.say(N_("Let us finish setting up first."))
        elif command == "help":
            request_person(turn)
        elif command in SIDE_TRIPS:
            if flow.name != SIDE_TRIPS[command]:
                turn.switch(SIDE_TRIPS[command], come_back=True)
        elif command == "checkin":
            if not onboarded:
                turn.say(N_("Let us finish setting up first."))
            elif turn.participant.consents.get(FOLLOW_UP) is True:
                turn.switch("checkin", "mood")
            else:
                turn.say(N_("Check-ins need your agreement to follow-up messages. You can "
                            "change this in /privacy."))
        elif command in ("survey", "wmodel"):
            if not onboarded:
                turn.say(N_("Let us finish setting up first."))
            elif flow.name != command:
                if command == "survey":
                    expire_if_stale(turn)
                turn.switch(command, come_back=True)
        elif command == "myplan":
            if not onboarded:
                turn.say(N_("Let us finish setting up first."))
            elif flow.name != "plan":
                turn.switch("plan", come_back=True)
        elif command == "resume":
            turn.emit(SetPaused(False))
            turn.say(N_("Messages are on again."))
            if flow.name == "pause":  # asked while deciding to pause: back where they were
                turn.back()
        else:
            turn.say(N_("I do not know that command. You can use: {commands}"),
                     commands=", ".join(commands_now(turn)))

    def _answer(self, turn: Turn, flow: Flow, prompt: Prompt,
                matched: str | None = None) -> None:
        """Fire the flow's trigger for the answer to ``prompt`` (the current question):
        the button pressed, or ``matched``, the button the typed text names."""
        event = turn.event
        payload: str | None = None
        if event.kind is EventKind.BUTTON:
            # Callback data comes from the client: accept only a button this question shows.
            if any(b.payload == event.payload for b in prompt.buttons):
                payload = event.payload
            else:
                turn.say(N_("That button belongs to an earlier question."))
                return
        else:
            payload = matched
        if payload is not None:
            trigger, _, value = payload.partition(":")
        elif prompt.free_text:
            trigger, value = "text", event.text
        elif offer_language(turn, flow):
            return
        else:
            turn.say(N_("Please choose one of the answers below."))
            return
        if not flow.fire(trigger, value):
            turn.effects.append(Reply(turn.error or Msg(N_("Please choose one of the answers "
                                                           "below."))))

    def match_button(self, locale: str, prompt: Prompt, text: str) -> str | None:
        """A typed number or label counts as pressing that button.

        A number is the button at that place (unless the question takes numbers as
        answers); "-1" is no place. A label matches folded (case, accents, emoji, Arabic
        short vowels and letter forms), in the person's language or English, and also in
        part ("not good", "yes") when it fits only one button.
        """
        raw = text.strip()
        answer = fold(text)
        if not answer or not prompt.buttons:
            return None
        if raw.isdigit():
            if prompt.numbers:
                return None
            if 1 <= int(raw) <= len(prompt.buttons):
                return prompt.buttons[int(raw) - 1].payload
            return None
        if answer.isdigit():  # "-1", "+2", "#3": not a place on the list
            return None
        labels = [(button, self._folded_labels(locale, button.label))
                  for button in prompt.buttons]
        for button, folded in labels:
            if answer in folded:
                return button.payload
        key = _loose(answer)
        for button, folded in labels:
            if key in (_loose(label) for label in folded):
                return button.payload
        if len(key) < 2 or len(key.split()) > 3:
            return None
        fits = {button.payload for button, folded in labels
                if any(f" {key} " in f" {_loose(label)} " for label in folded)}
        return fits.pop() if len(fits) == 1 else None

    def _folded_labels(self, locale: str, label: Msg | str) -> tuple[str, str]:
        """A button's label folded, in the person's language and in English. Labels that
        are fixed messages are kept once worked out (only those: a label that quotes a
        person's words is never kept in memory)."""
        if isinstance(label, Msg) and not label.params and label.n is None:
            key = (locale, label.msgid)
            folded = self._label_cache.get(key)
            if folded is None:
                folded = self._label_cache[key] = (
                    fold(self.ctx.catalogs.render(locale, label)),
                    fold(self.ctx.catalogs.render("en", label)))
            return folded
        return (fold(self.ctx.catalogs.render(locale, label)),
                fold(self.ctx.catalogs.render("en", label)))

