"""The Reintegration Sustainability Survey (domain.md §8): its 32 items, their answers, the
order they are asked in (skip logic), and how answers are checked.

The items are data. Every answer has a stable code (``very_good``, ``yes`` …) that is what
is stored and scored; the label is a gettext msgid shown in the person's language. The
answers are the Handbook's Annex 4 (domain.md §8 lists them): "I don't know" (``dont_know``)
and "I don't wish to answer" (``refused``) only on the items that have them there. Answers
marked "→ please explain" there (``explain``) are followed by a question in the person's own
words, kept with the answers as ``<item>_explain``. Item 21 is never asked: scoring computes
it from items 13, 15, 17, 18, 19.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flows.l10n.i18n import N_

DONT_KNOW = "dont_know"
REFUSED = "refused"
NOT_APPLICABLE = "not_applicable"
ABSTAIN = frozenset({DONT_KNOW, REFUSED})
DIMENSIONS = ("economic", "social", "psychosocial")
COMPUTED_ITEM = 21
COMPUTED_FROM = (13, 15, 17, 18, 19)
MODES = ("chat", "phone", "in_person", "paper")
DONT_KNOW_FLAG = 7  # more "don't know / don't wish to answer" than this is shown beside scores

Option = tuple[str, str]

GOOD_POOR: list[Option] = [
    ("very_good", N_("Very good")), ("good", N_("Good")), ("fair", N_("Fair")),
    ("poor", N_("Poor")), ("very_poor", N_("Very poor")),
]
OFTEN5: list[Option] = [
    ("very_often", N_("Very often")), ("often", N_("Often")), ("sometimes", N_("Sometimes")),
    ("rarely", N_("Rarely")), ("never", N_("Never")),
]
OFTEN4: list[Option] = [
    ("never", N_("Never")), ("rarely", N_("Only rarely")), ("sometimes", N_("Sometimes")),
    ("very_often", N_("Very often")),
]
YES_NO: list[Option] = [("yes", N_("Yes")), ("no", N_("No"))]


@dataclass(frozen=True, slots=True)
class Item:
    number: int
    dimension: str
    question: str
    options: tuple[Option, ...]
    dont_know: bool = False  # "I don't know", where Annex 4 lists it
    refuse: bool = True  # "I don't wish to answer", where Annex 4 lists it
    multiple: bool = False  # choose all that apply; scored as any / none
    none_code: str = ""  # for multiple choice: the answer that means "none"
    explain: frozenset[str] = frozenset()  # answers followed by "please explain"

    @property
    def codes(self) -> tuple[str, ...]:
        extra = ((DONT_KNOW,) if self.dont_know else ()) + ((REFUSED,) if self.refuse else ())
        return (*(code for code, _ in self.options), *extra)


def _item(number: int, dimension: str, question: str, options: list[Option],
          **kw: Any) -> Item:
    if "explain" in kw:
        kw["explain"] = frozenset(kw["explain"])
    return Item(number, dimension, question, tuple(options), **kw)


DK = {"dont_know": True}


ITEMS: dict[int, Item] = {item.number: item for item in (
    _item(1, "economic", N_("How satisfied are you with your current economic situation?"), [
        ("very_satisfied", N_("Very satisfied")), ("satisfied", N_("Satisfied")),
        ("neutral", N_("OK")),
        ("dissatisfied", N_("Dissatisfied")), ("very_dissatisfied", N_("Very dissatisfied"))],
          explain={"dissatisfied", "very_dissatisfied"}),
    _item(2, "economic", N_("Since your return, how often have you had to eat less, or food "
                            "of lower quality, because of the cost?"), OFTEN5),
    _item(3, "economic", N_("If you needed to, could you borrow money?"), YES_NO, **DK),
    _item(4, "economic", N_("Do you borrow money? How often?"), [
        *OFTEN5[:4], ("never", N_("Never (I don't borrow money)"))]),
    _item(5, "economic", N_("Each month, which is bigger: what you spend, or your debt?"), [
        ("no_debt", N_("I have no debt")), ("debt_larger", N_("My debt is bigger")),
        ("spending_larger", N_("My spending is bigger")),
        (NOT_APPLICABLE, N_("Does not apply to me"))]),
    _item(6, "economic", N_("How good is your access to opportunities such as jobs and "
                            "training?"), GOOD_POOR, dont_know=True, refuse=False),
    _item(7, "economic", N_("Are you working at the moment?"),
          [*YES_NO, (NOT_APPLICABLE, N_("Does not apply to me"))]),
    _item(8, "economic", N_("Do you own any of these? Choose all that apply, then Done."), [
        ("land", N_("Land")), ("animals", N_("Animals")), ("trees", N_("Trees")),
        ("buildings", N_("Buildings")), ("vehicles", N_("Vehicles")),
        ("equipment", N_("Equipment and tools")), ("other", N_("Something else")),
        ("none", N_("None of these"))], multiple=True, none_code="none", explain={"other"}),
    _item(9, "economic", N_("Are you looking for a job?"), YES_NO),
    _item(10, "economic", N_("Why are you looking for a new job? Choose all that apply, then "
                             "Done."), [
        ("unemployed", N_("I have no work")),
        ("unhappy_work", N_("I am unhappy with the work I do")),
        ("unhappy_conditions", N_("I am unhappy with the working conditions")),
        ("unhappy_salary", N_("I am unhappy with the pay")), ("other", N_("Another reason"))],
          multiple=True, refuse=False, explain={"other"}),
    _item(11, "social", N_("How good is your access to housing?"), GOOD_POOR, **DK),
    _item(12, "social", N_("How good is the standard of your housing?"), [
        ("very_good", N_("Very good")), ("good", N_("Good")), ("average", N_("Average")),
        ("poor", N_("Poor")), ("very_poor", N_("Very poor"))]),
    _item(13, "social", N_("How good is your access to education?"), GOOD_POOR, **DK),
    _item(14, "social", N_("Are all the school-age children in your household in school?"), [
        ("yes", N_("Yes, all of them (or there are none)")), ("some", N_("Some of them")),
        ("none", N_("None of them"))], explain={"some", "none"}),
    _item(15, "social", N_("How good is your access to justice and the police?"), GOOD_POOR,
          **DK),
    _item(16, "social", N_("Do you have at least one identity document?"), YES_NO, **DK),
    _item(17, "social", N_("How good is your access to documents (such as an identity card "
                           "or birth certificate)?"), GOOD_POOR, **DK),
    _item(18, "social", N_("How good is your access to safe drinking water?"), GOOD_POOR, **DK),
    _item(19, "social", N_("How good is your access to health care?"), GOOD_POOR),
    _item(20, "social", N_("How good is the health care you can get?"), [
        ("very_good", N_("Very good")), ("good", N_("Good")), ("fair", N_("Fair")),
        ("bad", N_("Bad")), ("very_bad", N_("Very bad"))], **DK),
    _item(21, "social", N_("Access to public services"), []),
    _item(22, "psychosocial", N_("How often are you invited to, or take part in, social "
                                 "activities in your community (celebrations, weddings, other "
                                 "events)?"), OFTEN5),
    _item(23, "psychosocial", N_("How do you feel about your support network? Can you rely on "
                                 "the network's support?"), [
        ("very_strong", N_("Very good: a very strong network")), ("strong", N_("Good")),
        ("average", N_("Fair")), ("weak", N_("Bad")),
        ("very_weak", N_("Very bad: a very weak network"))], **DK),
    _item(24, "psychosocial", N_("Do you feel you are part of the community where you live "
                                 "now?"), [
        ("strongly_agree", N_("I agree: I feel strongly that I am part of the community")),
        ("agree", N_("I somewhat agree")),
        ("neutral", N_("I neither agree nor disagree")),
        ("disagree", N_("I somewhat disagree")),
        ("strongly_disagree", N_("I strongly disagree: I don't feel part of the community at "
                                 "all"))], **DK),
    _item(25, "psychosocial", N_("How physically safe do you feel, for yourself and your "
                                 "family, during everyday activities outside?"), [
        ("very_safe", N_("I feel very safe all the time")),
        ("safe", N_("I feel safe most of the time")),
        ("sometimes", N_("Neutral")),
        ("unsafe", N_("I feel unsafe most of the time")),
        ("very_unsafe", N_("I feel very unsafe all the time"))]),
    _item(26, "psychosocial", N_("How often have you had important tensions or conflicts with "
                                 "your family since you returned?"), OFTEN5),
    _item(27, "psychosocial", N_("Since your return, have you felt discriminated against?"),
          OFTEN4, explain={"sometimes", "very_often"}),
    _item(28, "psychosocial", N_("How often do you suffer from anger, sadness, fear, stress, "
                                 "loneliness, low self-worth or difficulty concentrating?"),
          OFTEN4, explain={"sometimes", "very_often"}),
    _item(29, "psychosocial", N_("Would you like to receive specialised psychological "
                                 "support?"), YES_NO, **DK),
    _item(30, "psychosocial", N_("Do you feel able to stay and live in this country? (This is "
                                 "about whether you can, not whether you want to.)"), YES_NO,
          **DK),
    # The wish or the need to leave; when both, the need is the primary reason (Annex 4).
    _item(31, "psychosocial", N_("What is it that makes you feel that way? If both are true, "
                                 "choose the need."), [
        ("wish", N_("I wish to leave: I miss friends or family elsewhere, the culture, or I "
                    "want to study abroad")),
        ("need", N_("I need to leave: no jobs, no security, low earnings, no essential "
                    "services, or pressure from family"))], refuse=False),
    _item(32, "psychosocial", N_("Who supports you? Choose all that apply, then Done."), [
        ("family", N_("Family")), ("friends", N_("Friends")),
        ("religious", N_("Religious leaders or organisations")),
        ("community", N_("Community leaders")), ("colleagues", N_("Colleagues")),
        ("reintegration", N_("The reintegration organisation")), ("ngos", N_("NGOs")),
        ("returnees", N_("Other returnees")), ("other", N_("Someone else")),
        ("no_one", N_("No one"))], multiple=True, none_code="no_one", refuse=False,
          explain={"other"}),
)}

# Question 19's follow-up when access to health care is poor (recorded, not scored).
HEALTH_BARRIERS: list[Option] = [
    ("no_facility", N_("There is no health facility nearby")),
    ("expensive", N_("It is too expensive")), ("far", N_("It is too far")),
    ("other", N_("Another reason")),
]
BARRIER_KEY = "19a"
BARRIER_EXPLAIN = frozenset({"other"})
EXPLAIN_SUFFIX = "_explain"
ASKED = [n for n in ITEMS if n != COMPUTED_ITEM]  # 31 questions in chat

# The per-item answers that need a person even when the scores are fine (domain.md §8).
SIGNALS: dict[int, tuple[str, frozenset[str]]] = {
    2: ("food_cut", frozenset({"very_often"})),
    25: ("unsafe", frozenset({"unsafe", "very_unsafe"})),
    26: ("family_conflict", frozenset({"very_often", "often"})),
    27: ("discrimination", frozenset({"very_often"})),
    28: ("distress_signs", frozenset({"very_often"})),
    29: ("wants_psych_support", frozenset({"yes"})),
    31: ("must_leave", frozenset({"need"})),
}


# Survey signals that mean what a distress category means, and take its tier from the
# lexicon: "unsafe most of the time" is as urgent as typing "I am not safe here".
LIKE_CATEGORY: dict[str, str] = {"unsafe": "safety_threat"}


class AnswerError(ValueError):
    """An answer set that cannot be scored; ``str()`` says which item and why."""


def applies(number: int, answers: dict[str, Any]) -> bool:
    """Whether item ``number`` is asked, given the answers so far (the skip logic)."""
    if number == COMPUTED_ITEM:
        return False
    if number == 10:
        return answers.get("9") == "yes"
    if number == 31:
        return answers.get("30") == "no"
    return True


def next_item(answers: dict[str, Any], after: int = 0) -> int | None:
    """The first item after ``after`` that is asked and not yet answered."""
    for number in ASKED:
        if number > after and applies(number, answers) and str(number) not in answers:
            return number
    return None


def position(number: int) -> int:
    """Question number as the person sees it: the item's own number, the one the exports
    and the Handbook use ("question 22 of 32"; item 21 is computed, never asked)."""
    return number


def explains(number: int | str, answer: Any) -> bool:
    """Whether this answer is followed by "please explain" (Annex 4's "→")."""
    if number == BARRIER_KEY:
        return answer in BARRIER_EXPLAIN
    item = ITEMS.get(int(number)) if str(number).isdigit() else None
    if item is None:
        return False
    chosen = answer if isinstance(answer, list) else [answer]
    return any(code in item.explain for code in chosen)


def signals(number: int, answer: Any) -> list[str]:
    rule = SIGNALS.get(number)
    if rule is None or not isinstance(answer, str):
        return []
    name, codes = rule
    return [name] if answer in codes else []


def abstentions(answers: dict[str, Any]) -> int:
    return sum(1 for key, value in answers.items()
               if str(key).isdigit() and isinstance(value, str) and value in ABSTAIN)


def validate(answers: dict[str, Any]) -> dict[str, Any]:
    """Check a complete answer set; returns it with keys as item-number strings.

    Raises AnswerError for an unknown item or answer, a missing item, item 21 given (it is
    computed), or an answer to an item the skip logic leaves out.
    """
    if not isinstance(answers, dict):
        raise AnswerError("answers must be an object of item number → answer")
    clean: dict[str, Any] = {}
    for key, value in answers.items():
        if str(key).endswith(EXPLAIN_SUFFIX):
            base = str(key).removesuffix(EXPLAIN_SUFFIX)
            if not isinstance(value, str) or not explains(base, answers.get(base)):
                raise AnswerError(f"item {key}: an explanation only follows an answer that "
                                  "asks for one, in words")
            clean[str(key)] = value
            continue
        if key == BARRIER_KEY:
            if answers.get("19") not in ("poor", "very_poor"):
                raise AnswerError("item 19a: only asked when access to health care is poor")
            if value not in (*(code for code, _ in HEALTH_BARRIERS), REFUSED):
                raise AnswerError(f"item 19a: {value!r} is not an answer here; expected one of "
                                  f"{', '.join(code for code, _ in HEALTH_BARRIERS)}, {REFUSED}")
            clean[key] = value
            continue
        number = int(key) if str(key).isdigit() else None
        if number not in ITEMS:
            raise AnswerError(f"item {key}: there is no such item (1 to 32)")
        if number == COMPUTED_ITEM:
            raise AnswerError("item 21: computed from items 13, 15, 17, 18, 19; do not answer it")
        item = ITEMS[number]
        if item.multiple:
            chosen = [value] if isinstance(value, str) else value
            if not isinstance(chosen, list) or not chosen or not all(
                    isinstance(v, str) and v in item.codes for v in chosen):
                raise AnswerError(f"item {number}: expected a list among "
                                  f"{', '.join(item.codes)}")
            if len(chosen) > 1 and (set(chosen) & {item.none_code, REFUSED}):
                raise AnswerError(f"item {number}: {item.none_code!r} or {REFUSED!r} cannot "
                                  "be combined with other answers")
            clean[str(number)] = chosen if len(chosen) > 1 or chosen[0] != REFUSED else REFUSED
        else:
            if not isinstance(value, str) or value not in item.codes:
                raise AnswerError(f"item {number}: {value!r} is not an answer here; expected "
                                  f"one of {', '.join(item.codes)}")
            clean[str(number)] = value
    for number in ITEMS:
        asked = applies(number, clean)
        if asked and str(number) not in clean:
            raise AnswerError(f"item {number}: not answered (an incomplete survey is not "
                              "scored)")
        if not asked and number != COMPUTED_ITEM and str(number) in clean:
            raise AnswerError(f"item {number}: answered, but the skip logic leaves it out "
                              f"({'item 9 was not yes' if number == 10 else 'item 30 was not no'})")
    return clean
