"""My plan: the person's reintegration plan, always the current version, in their language
(handbook §2.3.3: the returnee "should always have an updated copy of their own plan").

From here they write their objectives in their own words (the first session's step 5),
answer a version their case manager changed (agree, or talk about it first), and may say
whether they would prefer a female or male case manager. Check-ins now and then ask how one
activity is going (``ask_about_activity``); the answer is kept beside it.
"""

from __future__ import annotations

from typing import Any

from flows.casework.plan import DIMENSIONS
from flows.casework.plan_text import DIMENSION_NAMES, plan_message, quoted
from flows.conversations.common import BACK
from flows.engine.events import (
    AnswerPlan,
    Button,
    Msg,
    PreferCaseManager,
    RecordActivityProgress,
    SavePlanObjectives,
)
from flows.engine.flow import Flow, Prompt, Turn
from flows.l10n.i18n import N_

ASK_PROGRESS_EVERY_DAYS = 28  # "now and then": at most one activity question a month

DRAFT_QUESTIONS = {
    "economic": N_("What would you like to achieve for your work and income? Write it in your "
                   "own words; a few sentences are enough."),
    "social": N_("And for your home, your health, your documents or education?"),
    "psychosocial": N_("And for how you feel, and for your relationships with your family and "
                       "community?"),
}
PROGRESS = [("well", N_("It is going well")), ("slowly", N_("Slowly")),
            ("stuck", N_("It is stuck")), ("not_started", N_("Not started yet"))]


class MyPlan(Flow):
    name = "plan"
    states: list[dict[str, Any]] = [
        {"name": "show"}, {"name": "draft_economic"}, {"name": "draft_social"},
        {"name": "draft_psychosocial"}, {"name": "draft_confirm"}, {"name": "gender"},
        {"name": "progress"},
    ]
    transitions: list[dict[str, Any]] = [
        {"trigger": "agree", "source": "show", "dest": None, "after": "agree"},
        {"trigger": "talk", "source": "show", "dest": None, "after": "talk"},
        {"trigger": "write", "source": "show", "dest": "draft_economic", "after": "start"},
        {"trigger": "gender", "source": "show", "dest": "gender"},
        {"trigger": "back", "source": ["show", "gender"], "dest": None, "after": "leave"},
        {"trigger": "text", "source": "draft_economic", "dest": "draft_social",
         "before": "keep"},
        {"trigger": "skip", "source": "draft_economic", "dest": "draft_social"},
        {"trigger": "text", "source": "draft_social", "dest": "draft_psychosocial",
         "before": "keep"},
        {"trigger": "skip", "source": "draft_social", "dest": "draft_psychosocial"},
        {"trigger": "text", "source": "draft_psychosocial", "dest": "draft_confirm",
         "before": "keep"},
        {"trigger": "skip", "source": "draft_psychosocial", "dest": "draft_confirm"},
        {"trigger": "save", "source": "draft_confirm", "dest": None, "after": "save"},
        {"trigger": "again", "source": "draft_confirm", "dest": "draft_economic",
         "after": "start"},
        {"trigger": "cancel", "source": "draft_confirm", "dest": "show", "after": "cancelled"},
        {"trigger": "prefer", "source": "gender", "dest": None, "after": "prefer"},
        {"trigger": "progress", "source": "progress", "dest": None, "after": "progress"},
        {"trigger": "text", "source": "progress", "dest": None, "after": "progress_words"},
    ]

    def prompt_show(self) -> Prompt:
        p = self.participant
        stored = self.turn.records.current_plan()
        if stored is None:
            return Prompt(Msg(N_("You do not have a reintegration plan yet. You make it with "
                                 "your case manager. If you like, you can already write down "
                                 "what you would like to achieve, in your own words.")),
                          self._buttons(False))
        shown = plan_message(stored.plan, stored.version, p.locale, p.country)
        if stored.awaiting_answer:
            return Prompt(Msg(N_("Your case manager has updated your plan. Please read it.\n\n"
                                 "{plan}\n\nDo you agree with this plan?"), {"plan": shown}),
                          (Button("agree", Msg(N_("Yes, I agree"))),
                           Button("talk", Msg(N_("I would like to talk about it first"))),
                           BACK))
        return Prompt(Msg("{plan}", {"plan": shown}), self._buttons(True))

    @staticmethod
    def _buttons(has_plan: bool) -> tuple[Button, ...]:
        return (Button("write", Msg(N_("Change my objectives") if has_plan
                                    else N_("Write my objectives"))),
                Button("gender", Msg(N_("A woman or a man as my case manager"))), BACK)

    def prompt_draft_economic(self) -> Prompt:
        return self._draft("economic")

    def prompt_draft_social(self) -> Prompt:
        return self._draft("social")

    def prompt_draft_psychosocial(self) -> Prompt:
        return self._draft("psychosocial")

    def _draft(self, dimension: str) -> Prompt:
        return Prompt(Msg(DRAFT_QUESTIONS[dimension]),
                      (Button("skip", Msg(N_("Skip this one"))),), free_text=True,
                      own_words=True)

    def prompt_draft_confirm(self) -> Prompt:
        written = self.data.get("objectives", {})
        lines = tuple(Msg(N_("{dimension}: {words}"), {"dimension": Msg(DIMENSION_NAMES[d]),
                                                      "words": quoted(written[d])})
                      for d in DIMENSIONS if written.get(d))
        if not lines:
            return Prompt(Msg(N_("You have not written anything yet. Start again?")),
                          (Button("again", Msg(N_("Start again"))),
                           Button("cancel", Msg(N_("Not now")))))
        return Prompt(Msg(N_("This is what you wrote:\n{lines}\n\nShall I keep it in your "
                             "plan? Your case manager will see it and complete the plan with "
                             "you."), {"lines": lines}),
                      (Button("save", Msg(N_("Yes, keep it"))),
                       Button("again", Msg(N_("Start again"))),
                       Button("cancel", Msg(N_("Not now")))))

    def prompt_gender(self) -> Prompt:
        return Prompt(Msg(N_("Would you prefer a woman or a man as your case manager? Where "
                             "the office has one, they will follow your case.")),
                      (Button("prefer:female", Msg(N_("A woman"))),
                       Button("prefer:male", Msg(N_("A man"))),
                       Button("prefer:none", Msg(N_("No preference"))), BACK))

    def prompt_progress(self) -> Prompt:
        return Prompt(Msg(N_("One thing from your plan: \u201c{activity}\u201d. How is it "
                             "going? You can also write a few words."),
                          {"activity": self.data.get("_what", "")}),
                      tuple(Button(f"progress:{key}", Msg(label)) for key, label in PROGRESS),
                      free_text=True, own_words=True)

    # Callbacks.
    def agree(self, _value: str = "") -> None:
        self._answer(True)
        self.say(N_("Thank you. Your case manager will see that you agree."))

    def talk(self, _value: str = "") -> None:
        self._answer(False)
        self.say(N_("Thank you for saying so. Your case manager will go through it with you."))

    def _answer(self, agreed: bool) -> None:
        stored = self.turn.records.current_plan()
        if stored is not None:
            self.turn.emit(AnswerPlan(stored.version, agreed))
        self.turn.back()

    def start(self, _value: str = "") -> None:
        self.data["objectives"] = {}

    def keep(self, text: str) -> None:
        dimension = self.state.removeprefix("draft_")  # before the move: the question answered
        self.data.setdefault("objectives", {})[dimension] = text[:2000]

    def save(self, _value: str = "") -> None:
        written = {d: t for d, t in self.data.get("objectives", {}).items() if t}
        if written:
            self.turn.emit(SavePlanObjectives(written))
            self.say(N_("Kept in your plan. Your case manager will see it."))
        self.data.pop("objectives", None)
        self.turn.back()

    def cancelled(self, _value: str = "") -> None:
        self.data.pop("objectives", None)
        self.say(N_("Nothing was changed."))

    def prefer(self, value: str) -> None:
        if value in ("female", "male", "none"):
            self.turn.emit(PreferCaseManager(None if value == "none" else value))
        self.turn.back()

    def progress(self, status: str) -> None:
        self._progress(status, None)

    def progress_words(self, text: str) -> None:
        self._progress("note", text[:2000])

    def _progress(self, status: str, note: str | None) -> None:
        if self.data.get("_activity"):
            self.turn.emit(RecordActivityProgress(int(self.data.get("_version", 0)),
                                                  self.data["_activity"], status, note))
            self.say(N_("Thank you. It is kept with your plan, for your case manager."))
        self.turn.switch("menu")

    def leave(self, _value: str = "") -> None:
        self.turn.back()


def ask_about_activity(turn: Turn) -> bool:
    """At the end of a check-in, now and then: how is one activity of the plan going? The
    one asked about least recently comes first. True when the question is asked."""
    stored = turn.records.current_plan()
    if stored is None or stored.awaiting_answer:
        return False
    activities = stored.plan.activities()
    if not activities:
        return False
    if stored.last_progress is not None and (
            turn.now - stored.last_progress).days < ASK_PROGRESS_EVERY_DAYS:
        return False
    index = (turn.now.toordinal() // ASK_PROGRESS_EVERY_DAYS) % len(activities)
    key, activity = activities[index]
    turn.switch("plan", "progress")
    turn.carry.update({"_activity": key, "_version": stored.version, "_what": activity.what})
    return True
