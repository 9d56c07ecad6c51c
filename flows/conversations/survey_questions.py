"""The survey's questions: what each state asks (its prompt); the flow, its transitions and
callbacks are in survey.py."""

from __future__ import annotations

from flows.engine.events import Button, Msg
from flows.engine.flow import Prompt
from flows.l10n.i18n import N_
from flows.research.rss import (
    ASKED,
    DONT_KNOW,
    HEALTH_BARRIERS,
    ITEMS,
    REFUSED,
    position,
)

DONT_KNOW_LABEL = N_("I don't know")
REFUSED_LABEL = N_("I don't wish to answer")
PAUSE = Button("pause", Msg(N_("Pause, continue later")))


class SurveyQuestions:
    """What each state of the Survey flow asks."""

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
                                                      "total": len(ITEMS)})
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
        if item.refuse:
            buttons.append(Button(f"a:{REFUSED}", Msg(REFUSED_LABEL)))
        buttons.append(PAUSE)
        return Prompt(Msg(N_("{heading}\n\n{question}"),
                          {"heading": heading, "question": Msg(item.question)}),
                      tuple(buttons))

    def prompt_barrier(self) -> Prompt:
        return Prompt(Msg(N_("What makes it hard to get health care?")),
                      (*(Button(f"b:{code}", Msg(label)) for code, label in HEALTH_BARRIERS),
                       Button(f"b:{REFUSED}", Msg(REFUSED_LABEL)), PAUSE))

    def prompt_explain(self) -> Prompt:
        return Prompt(Msg(N_("Could you tell me a little more, in your own words? You can "
                             "also skip this.")),
                      (Button("skip", Msg(N_("Skip"))), PAUSE), free_text=True)
