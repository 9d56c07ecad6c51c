"""The Reintegration Sustainability Survey in chat (domain.md §8): one question per message
with buttons, the skip logic, progress, pause and resume.

Every answer is kept at once (``SaveSurveyDraft``), so pausing is simply leaving; an
unfinished survey is kept for a window (default 7 days) after its last answer, then its
answers are erased and the person is told. Only a complete survey is scored (by the engine,
with the weights file in force). Answers listed in ``rss.SIGNALS`` reach a case manager.
"""

from __future__ import annotations

from typing import Any

from flows.conversations.common import ALERTED_UNSAFE, CONSENT_VERSION, emergency_lines
from flows.engine.events import (
    Button,
    CompleteSurvey,
    DiscardSurvey,
    Msg,
    OpenEscalation,
    RecordConsent,
    Reply,
    SaveSurveyDraft,
    SendChart,
)
from flows.engine.flow import Flow, Prompt, Turn
from flows.l10n.i18n import N_
from flows.research.rss import (
    ASKED,
    BARRIER_KEY,
    DONT_KNOW,
    HEALTH_BARRIERS,
    ITEMS,
    LIKE_CATEGORY,
    REFUSED,
    next_item,
    position,
    signals,
)

SURVEY = "survey"  # the consent purpose
DONT_KNOW_LABEL = N_("I don't know")
REFUSED_LABEL = N_("I don't wish to answer")
PAUSE = Button("pause", Msg(N_("Pause, continue later")))
DISCARDED = N_("Your unfinished survey was not continued within {days} days, so its answers "
               "have been deleted. You can start again whenever you like.")


def expire_if_stale(turn: Turn) -> bool:
    """Erase an unfinished survey older than the window and say so; True if it was erased."""
    draft = turn.records.survey_draft()
    if draft is None or turn.now - draft.updated_at <= turn.survey_window:
        return False
    turn.emit(DiscardSurvey())
    turn.say(DISCARDED, days=turn.survey_window.days)
    return True


class Survey(Flow):
    name = "survey"
    states: list[dict[str, Any]] = [{"name": "intro"}, {"name": "question"},
                                    {"name": "barrier"}]
    transitions: list[dict[str, Any]] = [
        {"trigger": "start", "source": "intro", "dest": "question", "after": "begin"},
        {"trigger": "continue", "source": "intro", "dest": "question",
         "conditions": "has_draft", "after": "resume"},
        {"trigger": "later", "source": "intro", "dest": None, "after": "leave"},
        {"trigger": "results", "source": "intro", "dest": None, "after": "send_results"},
        {"trigger": "a", "source": "question", "dest": "barrier",
         "conditions": ["single", "poor_health_access"], "after": "answer"},
        {"trigger": "a", "source": "question", "dest": None, "conditions": "single",
         "after": "answer"},
        {"trigger": "m", "source": "question", "dest": None, "conditions": "multiple",
         "after": "toggle"},
        {"trigger": "done", "source": "question", "dest": None,
         "conditions": ["multiple", "chosen"], "after": "answer_multiple"},
        {"trigger": "b", "source": "barrier", "dest": "question", "after": "answer_barrier"},
        {"trigger": "pause", "source": ["question", "barrier"], "dest": None,
         "after": "pause"},
    ]

    @property
    def item(self) -> int:
        value = self.data.get("item")
        return value if isinstance(value, int) and value in ITEMS else ASKED[0]

    @property
    def answers(self) -> dict[str, Any]:
        answers = self.data.setdefault("answers", {})
        assert isinstance(answers, dict)
        return answers

    # Prompts ---------------------------------------------------------------------------

    def prompt_intro(self) -> Prompt:
        draft = self.turn.records.survey_draft()
        if draft is not None:
            done = sum(1 for key in draft.answers if key.isdigit())
            return Prompt(Msg(N_("You have started the survey and answered {done} of {total} "
                                 "questions. Do you want to continue where you stopped?"),
                              {"done": done, "total": len(ASKED)}),
                          (Button("continue", Msg(N_("Continue"))),
                           Button("start", Msg(N_("Start again"))),
                           Button("later", Msg(N_("Not now")))))
        return Prompt(Msg(N_(
            "This is a short survey about how your life is going since your return: work and "
            "money, housing and services, family and how you feel. It has {total} questions.\n\n"
            "It is not a test. You do not have to take part, and you can stop at any time. "
            "Taking part or not does not change the help you get. Your answers are seen by "
            "your case manager, to plan support with you. You can pause and continue within "
            "{days} days."), {"total": len(ASKED), "days": self.turn.survey_window.days}),
            (Button("start", Msg(N_("Start the survey"))),
             *((Button("results", Msg(N_("Send me my results"))),)
               if self.turn.records.completed_surveys() else ()),
             Button("later", Msg(N_("Not now")))))

    def prompt_question(self) -> Prompt:
        item = ITEMS[self.item]
        heading = Msg(N_("Question {n} of {total}"), {"n": position(item.number),
                                                      "total": len(ASKED)})
        if item.multiple:
            chosen = set(self.data.get("chosen", []))
            buttons = [Button(f"m:{code}", Msg(N_("✓ {need}"), {"need": Msg(label)})
                              if code in chosen else Msg(label))
                       for code, label in item.options]
            buttons.append(Button("done", Msg(N_("Done"))))
        else:
            buttons = [Button(f"a:{code}", Msg(label)) for code, label in item.options]
            if item.dont_know:
                buttons.append(Button(f"a:{DONT_KNOW}", Msg(DONT_KNOW_LABEL)))
        buttons += [Button(f"a:{REFUSED}", Msg(REFUSED_LABEL)), PAUSE]
        return Prompt(Msg(N_("{heading}\n\n{question}"),
                          {"heading": heading, "question": Msg(item.question)}),
                      tuple(buttons))

    def prompt_barrier(self) -> Prompt:
        return Prompt(Msg(N_("What makes it hard to get health care?")),
                      (*(Button(f"b:{code}", Msg(label)) for code, label in HEALTH_BARRIERS),
                       Button(f"b:{REFUSED}", Msg(REFUSED_LABEL)), PAUSE))

    # Conditions ------------------------------------------------------------------------

    def has_draft(self, _value: str = "") -> bool:
        return self.turn.records.survey_draft() is not None

    def single(self, value: str = "") -> bool:
        item = ITEMS[self.item]
        if value == REFUSED:
            return True
        return not item.multiple and value in item.codes

    def multiple(self, value: str = "") -> bool:
        item = ITEMS[self.item]
        return item.multiple and (value == "" or value in item.codes)

    def chosen(self, _value: str = "") -> bool:
        return bool(self.data.get("chosen")) or self.turn.reject(
            N_("Please choose at least one answer, then Done."))

    def poor_health_access(self, value: str = "") -> bool:
        return self.item == 19 and value in ("poor", "very_poor")

    # Callbacks -------------------------------------------------------------------------

    def begin(self, _value: str = "") -> None:
        if self.turn.records.survey_draft() is not None:
            self.turn.emit(DiscardSurvey())
        self.turn.emit(RecordConsent(SURVEY, CONSENT_VERSION, True))
        self.data.update(answers={}, chosen=[], item=ASKED[0])

    def resume(self, _value: str = "") -> None:
        if expire_if_stale(self.turn):  # waited at this question past the window
            self.turn.back()
            return
        draft = self.turn.records.survey_draft()
        answers = dict(draft.answers) if draft is not None else {}
        self.data.update(answers=answers, chosen=[], item=next_item(answers) or ASKED[0])
        if next_item(answers) is None:  # everything was answered: finish now
            self._finish()

    def answer(self, value: str) -> None:
        self._record(value)

    def toggle(self, code: str) -> None:
        item = ITEMS[self.item]
        chosen = [c for c in self.data.get("chosen", []) if c in item.codes]
        if code in chosen:
            chosen.remove(code)
        elif code == item.none_code:
            chosen = [code]  # "none" stands alone
        else:
            chosen = [c for c in chosen if c != item.none_code] + [code]
        self.data["chosen"] = chosen

    def answer_multiple(self, _value: str = "") -> None:
        self._record(list(self.data.get("chosen", [])))

    def answer_barrier(self, value: str) -> None:
        if not self._still_open():
            return
        if value in {code for code, _ in HEALTH_BARRIERS} | {REFUSED}:
            self.answers[BARRIER_KEY] = value
        self._advance()

    def _still_open(self) -> bool:
        """False (and the person told) when the survey was erased meanwhile: its window ran
        out. The answers held in the conversation must not bring it back."""
        if expire_if_stale(self.turn):
            self.data.pop("answers", None)
            self.turn.back()
            return False
        if self.answers and self.turn.records.survey_draft() is None:
            self.say(DISCARDED, days=self.turn.survey_window.days)
            self.data.pop("answers", None)
            self.turn.back()
            return False
        return True

    def _record(self, value: str | list[str]) -> None:
        if not self._still_open():
            return
        number = self.item
        self.answers[str(number)] = value
        self.data["chosen"] = []
        for name in signals(number, value):
            like = LIKE_CATEGORY.get(name)
            tier = self.turn.tiers.get(like, 3) if like else 3
            if tier == 1 and like:
                self.turn.emit(OpenEscalation(tier=1, category=like, source="survey",
                                              categories=(like, name, "survey")))
                self.say(ALERTED_UNSAFE)
                self.turn.effects.append(Reply(emergency_lines(self.turn.pack,
                                                               self.participant.returned)))
            else:
                self.turn.emit(OpenEscalation(tier=tier, category="survey", source="survey",
                                              categories=("survey", name)))
        if self.poor_health_access(value if isinstance(value, str) else ""):
            self.turn.emit(SaveSurveyDraft(dict(self.answers)))
            return  # the follow-up question on health care comes first
        self._advance()

    def _advance(self) -> None:
        following = next_item(self.answers, self.item)
        if following is None:
            following = next_item(self.answers)  # anything left before (never, in order)
        if following is None:
            self._finish()
            return
        self.turn.emit(SaveSurveyDraft(dict(self.answers)))
        self.data["item"] = following

    def _finish(self) -> None:
        self.turn.emit(CompleteSurvey(dict(self.answers)))
        self.say(N_("Thank you, the survey is complete. Your case manager will look at it "
                    "with you."))
        self.data.pop("answers", None)
        self.turn.back()

    def pause(self, _value: str = "") -> None:
        self.say(N_("Paused. Your answers are kept for {days} days. To continue, choose "
                    "Survey in the menu or send /survey."), days=self.turn.survey_window.days)
        self.turn.back()

    def send_results(self, _value: str = "") -> None:
        self.turn.emit(SendChart("survey"))
        self.say(N_("Here are your results: one line for each part of life, from 0 to 1, for "
                    "each survey you completed. They help you and your case manager talk about "
                    "support; they are not a judgement."))

    def leave(self, _value: str = "") -> None:
        self.say(N_("That is fine. You can take the survey later from the menu."))
        self.turn.back()
