"""The Reintegration Sustainability Survey in chat (domain.md §8): one question per message
with buttons, the skip logic, progress, pause and resume.

Every answer is kept at once (``SaveSurveyDraft``), so pausing is simply leaving; an
unfinished survey is kept for a window (default 7 days) after its last answer, then its
answers are erased and the person is told. Only a complete survey is scored (by the engine,
with the weights file in force). Answers listed in ``rss.SIGNALS`` reach a case manager.
"""

from __future__ import annotations

from typing import Any

from flows.conversations.common import (
    ALERTED_UNSAFE,
    CONSENT_VERSION,
    emergency_lines,
    kept_words,
)
from flows.conversations.survey_questions import SurveyQuestions
from flows.engine.events import (
    CompleteSurvey,
    DiscardSurvey,
    EventKind,
    OpenEscalation,
    RecordConsent,
    Reply,
    SaveSurveyDraft,
    SendChart,
)
from flows.engine.flow import Flow, Turn
from flows.l10n.i18n import N_
from flows.research.rss import (
    ASKED,
    BARRIER_KEY,
    EXPLAIN_SUFFIX,
    HEALTH_BARRIERS,
    ITEMS,
    LIKE_CATEGORY,
    REFUSED,
    explains,
    next_item,
    signals,
)

SURVEY = "survey"  # the consent purpose
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


class Survey(SurveyQuestions, Flow):
    name = "survey"
    states: list[dict[str, Any]] = [{"name": "intro"}, {"name": "question"},
                                    {"name": "barrier"}, {"name": "explain"}]
    transitions: list[dict[str, Any]] = [
        {"trigger": "start", "source": "intro", "dest": "question", "after": "begin"},
        {"trigger": "continue", "source": "intro", "dest": "question",
         "conditions": "has_draft", "after": "resume"},
        {"trigger": "later", "source": "intro", "dest": None, "after": "leave"},
        {"trigger": "results", "source": "intro", "dest": None, "after": "send_results"},
        {"trigger": "a", "source": "question", "dest": "barrier",
         "conditions": ["single", "poor_health_access"], "after": "answer"},
        {"trigger": "a", "source": "question", "dest": "explain",
         "conditions": ["single", "asks_explanation"], "after": "answer"},
        {"trigger": "a", "source": "question", "dest": None, "conditions": "single",
         "after": "answer"},
        {"trigger": "m", "source": "question", "dest": None, "conditions": "multiple",
         "after": "toggle"},
        {"trigger": "done", "source": "question", "dest": "explain",
         "conditions": ["multiple", "chosen", "other_chosen"], "after": "answer_multiple"},
        {"trigger": "done", "source": "question", "dest": None,
         "conditions": ["multiple", "chosen"], "after": "answer_multiple"},
        {"trigger": "b", "source": "barrier", "dest": "explain",
         "conditions": "asks_explanation", "after": "answer_barrier"},
        {"trigger": "b", "source": "barrier", "dest": "question", "after": "answer_barrier"},
        # "→ please explain" (Annex 4): the person's own words, or nothing.
        {"trigger": "text", "source": "explain", "dest": "question", "after": "explained"},
        {"trigger": "skip", "source": "explain", "dest": "question", "after": "explained"},
        {"trigger": "pause", "source": ["question", "barrier", "explain"], "dest": None,
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

    def asks_explanation(self, value: str = "") -> bool:
        """Annex 4's "→ please explain" after this answer (or after "other" on 19a)."""
        key = BARRIER_KEY if self.state == "barrier" else str(self.item)
        return explains(key, value)

    def other_chosen(self, _value: str = "") -> bool:
        return explains(self.item, list(self.data.get("chosen", [])))

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
        if explains(BARRIER_KEY, value):
            self.turn.emit(SaveSurveyDraft(dict(self.answers)))
            self.data["explaining"] = BARRIER_KEY
            return
        self._advance()

    def explained(self, text: str = "") -> None:
        """Keep the person's words for the answer before (nothing when skipped), whole."""
        if not self._still_open():
            return
        key = self.data.pop("explaining", str(self.item))
        if text.strip() and self.turn.event.kind is EventKind.TEXT:
            self.answers[f"{key}{EXPLAIN_SUFFIX}"] = kept_words(self.turn, text)
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
        if (self.poor_health_access(value if isinstance(value, str) else "")
                or explains(number, value)):
            self.turn.emit(SaveSurveyDraft(dict(self.answers)))
            self.data["explaining"] = str(number)
            return  # the follow-up question (health care, or "please explain") comes first
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
