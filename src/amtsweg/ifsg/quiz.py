"""The quiz's arithmetic, free of the database: drawing and shuffling, mapping shown positions back to
the original options, scoring, and the rounds of attempts with the pause after too many failures.

An *item* is one drawn question as stored in ``QuizAttempt.items``:
``{"question": id, "number": n, "order": [original option indexes in the order shown]}``. Clients
answer with the *shown position*; only :func:`to_original` knows the way back, so nothing a client
sees reveals which original index is the right one.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

Item = dict[str, Any]


class QuestionLike(Protocol):
    pk: Any
    number: int
    texts: Any


def option_count(question: QuestionLike) -> int:
    """How many options ``question`` has (the same in every language, see ``models.Question``)."""
    counts = {len(text.get("options", [])) for text in question.texts.values()}
    return max(counts, default=0)


def _rng(rng: random.Random | None) -> random.Random:
    # SystemRandom: the next question set must not be predictable from earlier ones.
    return rng if rng is not None else secrets.SystemRandom()


def draw(questions: Sequence[QuestionLike], count: int, rng: random.Random | None = None) -> list[Item]:
    """``count`` distinct questions (all of them if fewer) in random order, options shuffled per item."""
    chooser = _rng(rng)
    chosen = chooser.sample(list(questions), min(count, len(questions)))
    items: list[Item] = []
    for question in chosen:
        order = list(range(option_count(question)))
        chooser.shuffle(order)
        items.append({"question": question.pk, "number": question.number, "order": order})
    return items


def shown_options(question: QuestionLike, item: Item, language: str) -> list[str]:
    """The options of ``question`` in ``language`` in the order the item shows them."""
    options = list(question.texts.get(language, {}).get("options", []))
    return [str(options[index]) for index in item["order"] if index < len(options)]


def to_original(item: Item, position: int) -> int:
    """The original option index shown at ``position`` (``IndexError`` when out of range)."""
    if position < 0:
        raise IndexError(position)
    return int(item["order"][position])


def to_shown(item: Item, original: int) -> int:
    """The position at which the item shows option ``original`` (the inverse of :func:`to_original`)."""
    return list(item["order"]).index(original)


def answers_valid(items: Sequence[Item], answers: Mapping[int, int]) -> bool:
    """Exactly one answer per drawn question, each a position the item shows."""
    by_question = {int(item["question"]): item for item in items}
    if set(answers) != set(by_question):
        return False
    return all(
        isinstance(position, int)
        and not isinstance(position, bool)
        and 0 <= position < len(by_question[question]["order"])
        for question, position in answers.items()
    )


def originals(items: Sequence[Item], shown: Mapping[int, int]) -> dict[int, int]:
    """Shown positions per question (already checked by :func:`answers_valid`) as original indexes."""
    by_question = {int(item["question"]): item for item in items}
    return {question: to_original(by_question[question], position) for question, position in shown.items()}


def correct_items(
    items: Sequence[Item], answers: Mapping[int, int], correct_by_id: Mapping[int, int]
) -> list[bool]:
    """Per item (in the order drawn): whether the chosen original index is the right one."""
    return [
        int(item["question"]) in answers
        and answers[int(item["question"])] == correct_by_id[int(item["question"])]
        for item in items
    ]


def score(items: Sequence[Item], answers: Mapping[int, int], correct_by_id: Mapping[int, int]) -> int:
    """How many items were answered right; ``answers`` maps question id to the chosen original index."""
    return sum(correct_items(items, answers, correct_by_id))


def wrong_positions(
    items: Sequence[Item], answers: Mapping[int, int], correct_by_id: Mapping[int, int]
) -> list[int]:
    """The positions (0-based, in the order shown) of the items answered wrongly: all a person learns."""
    return [
        position for position, right in enumerate(correct_items(items, answers, correct_by_id)) if not right
    ]


# --- rounds and the pause ------------------------------------------------------------------------


@dataclass(frozen=True)
class RoundState:
    """Where a person stands in the current round of attempts."""

    attempts_used: int  # failed attempts in the current round
    attempts_left: int
    blocked_until: datetime | None  # set while the pause after a full round of failures lasts

    @property
    def blocked(self) -> bool:
        return self.blocked_until is not None


def round_state(
    failures: Iterable[datetime], *, attempts_per_round: int, retry_wait_hours: int, now: datetime
) -> RoundState:
    """The round derived from the times of all failed attempts (a passed attempt ends the quiz).

    A round holds ``attempts_per_round`` failures; the last one starts a pause of
    ``retry_wait_hours``, after which a new round with every attempt begins. Derived from the history
    rather than counters, so a change of the programme's rules applies to the next attempt at once.
    """
    per_round = max(attempts_per_round, 1)
    wait = timedelta(hours=retry_wait_hours)
    used = 0
    blocked_until: datetime | None = None
    for at in sorted(failures):
        if blocked_until is not None:
            if at < blocked_until:
                continue  # cannot happen through the services; never lengthens the pause
            used, blocked_until = 0, None
        used += 1
        if used >= per_round:
            blocked_until = at + wait
    if blocked_until is not None and blocked_until <= now:
        used, blocked_until = 0, None
    return RoundState(
        attempts_used=min(used, per_round),
        attempts_left=0 if blocked_until is not None else max(per_round - used, 0),
        blocked_until=blocked_until,
    )
