"""Information before departure and after arrival (domain.md §5): topics, short pages with
the country's services, "was this useful?", a person on every page, and a checklist.

Texts are generic and balanced; a country office adapts them per country (country pack
``messages``) and lists its services (``services``), each with the date it was verified.
"""

from __future__ import annotations

from typing import Any

from flows.conversations.common import BACK, request_person
from flows.engine.events import Button, Msg, RecordFeedback, SetProfile
from flows.engine.flow import Flow, Prompt
from flows.l10n.i18n import N_

TOPIC_LABELS: dict[str, str] = {
    "arrival": N_("Arrival"), "assistance": N_("Reintegration assistance"),
    "housing": N_("Housing"), "documents": N_("Documents"), "health": N_("Health"),
    "work": N_("Work and training"), "money": N_("Money and debts"),
    "family": N_("Family and community"), "legal": N_("Legal help"),
    "feelings": N_("Ups and downs after return"),
}
PAGES: dict[str, list[str]] = {
    "arrival": [N_("On arrival, staff of the reintegration programme can meet you and help "
                   "with transport to your first destination. Keep your travel documents "
                   "and this chat at hand.")],
    "assistance": [N_("Your case manager will explain what assistance you can receive and "
                      "when."),
                   N_("Assistance is planned with you in a reintegration plan, usually within "
                      "a month of return. What you can receive depends on the programme's "
                      "rules; ask your case manager rather than relying on rumours.")],
    "housing": [N_("If you have nowhere safe to stay on arrival, tell your case manager as "
                   "soon as possible. Temporary accommodation may exist, with conditions.")],
    "documents": [N_("Bring copies of your identity documents, diplomas and certificates. "
                     "Your case manager can tell you where to replace missing documents.")],
    "health": [N_("If you take medication, bring enough for the first weeks and a medical "
                  "certificate that says what you take. Ask where to continue treatment."),
               N_("If you feel unwell after return, you can ask for a person at any time "
                  "with /help.")],
    "work": [N_("Finding work takes time. Training and business support may be available; "
                "your case manager knows what exists near you and who can apply.")],
    "money": [N_("Make a simple budget for the first months. If you have debts, talk about "
                 "them with your case manager early; do not borrow to pay other debts.")],
    "family": [N_("Family and friends may expect a lot. Talking openly about why you came "
                  "back often helps. You decide what you share.")],
    "legal": [N_("For legal questions, your case manager can refer you to legal aid. Only "
                 "services that are safe for returnees are listed here.")],
    "feelings": [N_("Ups and downs after return are normal: change takes time. Set small "
                    "goals, and ask for a person if it becomes too much.")],
}
# For someone already back: the pages that would tell them what to pack say what to do now.
PAGES_AT_HOME: dict[str, list[str]] = {
    "arrival": [N_("Now that you are back, your case manager is your first contact for "
                   "assistance. Keep this chat at hand: you can ask for a person at any time "
                   "with /help.")],
    "documents": [N_("If some of your documents are missing, your case manager can tell you "
                     "where to replace them and what it costs. Keep copies of what you have "
                     "in a safe place.")],
    "health": [N_("If you take medication, ask your case manager or a health centre where to "
                  "continue your treatment, and show them any medical papers you have."),
               PAGES["health"][1]],
}
NO_SERVICE = N_("{page}\n\nNo service is listed here for this yet. Your case manager knows "
                "where to go: choose \"Ask a person\" or send /help.")
SERVICE_LINE = N_("• {name}: {offers}\n  Where: {where}. Open: {hours}.\n  Who can go: "
                  "{eligibility}. Cost: {cost}. Contact: {contact}.")
NOT_GIVEN = N_("ask your case manager")
CHECKLIST: dict[str, str] = {
    "id": N_("Identity documents and copies"),
    "medicine": N_("Medication and a medical certificate"),
    "certificates": N_("Diplomas and work certificates"),
    "contacts": N_("Phone numbers of family and the case manager"),
    "money": N_("Some money for the first days"),
}


class Information(Flow):
    name = "info"
    states: list[dict[str, Any]] = [{"name": "topics"}, {"name": "page"},
                                    {"name": "checklist"}]
    transitions: list[dict[str, Any]] = [
        {"trigger": "topic", "source": "topics", "dest": "page", "after": "open_topic"},
        {"trigger": "checklist", "source": "topics", "dest": "checklist"},
        {"trigger": "back", "source": "topics", "dest": None, "after": "leave"},
        {"trigger": "next", "source": "page", "dest": None, "after": "next_page"},
        {"trigger": "useful", "source": "page", "dest": None, "after": "feedback"},
        {"trigger": "person", "source": "page", "dest": None, "after": "ask_person"},
        {"trigger": "topics", "source": "page", "dest": "topics"},
        {"trigger": "item", "source": "checklist", "dest": None, "after": "tick"},
        {"trigger": "done", "source": "checklist", "dest": "topics"},
    ]

    def prompt_topics(self) -> Prompt:
        buttons = [Button(f"topic:{key}", Msg(label)) for key, label in TOPIC_LABELS.items()]
        if self.participant.returned is not True:  # what to pack: before departure only
            buttons.append(Button("checklist", Msg(N_("Checklist before departure"))))
        return Prompt(Msg(N_("What would you like to know about?")), (*buttons, BACK))

    def _pages(self, topic: str) -> list[str]:
        if self.participant.returned is True and topic in PAGES_AT_HOME:
            return PAGES_AT_HOME[topic]
        return PAGES.get(topic, PAGES["arrival"])

    def _service(self, service: Any) -> Msg:
        locale = self.participant.locale

        def given(name: str) -> Msg | str:
            return service.field(name, locale) or Msg(NOT_GIVEN)
        return Msg(SERVICE_LINE, {"name": given("name"), "offers": given("offers"),
                                  "where": given("where"), "hours": given("hours"),
                                  "eligibility": given("eligibility"), "cost": given("cost"),
                                  "contact": service.contact or Msg(NOT_GIVEN)})

    def prompt_page(self) -> Prompt:
        topic = self.data.get("topic", "arrival")
        pages = self._pages(topic)
        index = min(int(self.data.get("page", 0)), len(pages) - 1)
        buttons = [Button("next", Msg(N_("Next")))] if index + 1 < len(pages) else []
        buttons += [Button("useful:yes", Msg(N_("This was useful"))),
                    Button("useful:no", Msg(N_("Not useful"))),
                    Button("person", Msg(N_("Ask a person"))),
                    Button("topics", Msg(N_("Other topics")))]
        text = Msg(pages[index])
        services = self.turn.pack.services_for(topic) if self.turn.pack is not None else []
        if services and index + 1 == len(pages):
            listed = self._service(services[-1])
            for service in reversed(services[:-1]):
                listed = Msg(N_("{first}\n{rest}"), {"first": self._service(service),
                                                     "rest": listed})
            text = Msg(N_("{page}\n\nWhere to go in {country} (checked {date}):\n{services}"),
                       {"page": text, "country": self.turn.pack.name, "services": listed,
                        "date": max(s.verified for s in services).isoformat()})
        elif index + 1 == len(pages):
            text = Msg(NO_SERVICE, {"page": text})
        return Prompt(text, tuple(buttons))

    def prompt_checklist(self) -> Prompt:
        done = self.participant.checklist
        buttons = [Button(f"item:{key}", Msg(N_("✓ {need}"), {"need": Msg(label)})
                          if done.get(key) else Msg(label)) for key, label in CHECKLIST.items()]
        return Prompt(Msg(N_("Before you travel, tick what is ready. You can come back to this "
                             "list at any time.")),
                      (*buttons, Button("done", Msg(N_("Done")))))

    def open_topic(self, key: str) -> None:
        self.data.update(topic=key if key in PAGES else "arrival", page=0, rated=False)

    def next_page(self, _value: str = "") -> None:
        self.data.update(page=int(self.data.get("page", 0)) + 1, rated=False)

    def feedback(self, value: str) -> None:
        """Counted once per page view: pressing again (or the other button) is not a
        second opinion."""
        if self.data.get("rated"):
            self.say(N_("Thank you, I have already noted your opinion of this page."))
            return
        self.data["rated"] = True
        self.turn.emit(RecordFeedback(self.data.get("topic", ""), value == "yes"))
        self.say(N_("Thank you, that helps us improve this information."))

    def ask_person(self, _value: str = "") -> None:
        request_person(self.turn)

    def tick(self, key: str) -> None:
        if key in CHECKLIST:
            done = dict(self.participant.checklist)
            done[key] = not done.get(key, False)
            self.turn.emit(SetProfile({"checklist": done}))

    def leave(self, _value: str = "") -> None:
        self.turn.back()
