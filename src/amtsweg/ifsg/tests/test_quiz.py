"""The quiz's arithmetic without the database: drawing, shuffling, mapping back, scoring, rounds."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from .. import quiz


@dataclass
class FakeQuestion:
    pk: int
    number: int
    correct: int
    texts: dict[str, Any] = field(default_factory=dict)


def _pool(sizes: list[int], corrects: list[int]) -> list[FakeQuestion]:
    return [
        FakeQuestion(
            pk=100 + n,
            number=n + 1,
            correct=corrects[n] % size,
            texts={
                "de": {"text": f"Frage {n}", "options": [f"de {n}.{i}" for i in range(size)]},
                "en": {"text": f"Question {n}", "options": [f"en {n}.{i}" for i in range(size)]},
            },
        )
        for n, size in enumerate(sizes)
    ]


pools = st.integers(min_value=1, max_value=15).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(min_value=2, max_value=6), min_size=n, max_size=n),
        st.lists(st.integers(min_value=0, max_value=5), min_size=n, max_size=n),
    )
)


@given(pool=pools, count=st.integers(min_value=1, max_value=20), seed=st.integers())
def test_a_draw_has_distinct_questions_of_the_pool_and_shuffles_are_permutations(
    pool: tuple[list[int], list[int]], count: int, seed: int
) -> None:
    questions = _pool(*pool)
    items = quiz.draw(questions, count, random.Random(seed))
    ids = [item["question"] for item in items]
    assert len(ids) == len(set(ids)) == min(count, len(questions))
    by_id = {q.pk: q for q in questions}
    assert set(ids) <= set(by_id)
    for item in items:
        question = by_id[item["question"]]
        assert item["number"] == question.number
        assert sorted(item["order"]) == list(range(quiz.option_count(question)))
        shown = quiz.shown_options(question, item, "en")
        assert sorted(shown) == sorted(question.texts["en"]["options"])
        for position, text in enumerate(shown):
            original = quiz.to_original(item, position)
            assert question.texts["en"]["options"][original] == text
            assert quiz.to_shown(item, original) == position


@given(pool=pools, seed=st.integers(), wrong=st.sets(st.integers(min_value=0, max_value=14)))
def test_scoring_the_right_answers_as_shown_passes_and_each_wrong_item_is_named(
    pool: tuple[list[int], list[int]], seed: int, wrong: set[int]
) -> None:
    questions = _pool(*pool)
    items = quiz.draw(questions, len(questions), random.Random(seed))
    correct_by_id = {q.pk: q.correct for q in questions}
    # The person clicks the shown position of the right option, except on the items in ``wrong``.
    shown: dict[int, int] = {}
    for position, item in enumerate(items):
        right = quiz.to_shown(item, correct_by_id[item["question"]])
        shown[item["question"]] = (right + 1) % len(item["order"]) if position in wrong else right
    assert quiz.answers_valid(items, shown)
    chosen = quiz.originals(items, shown)
    expected_wrong = sorted(p for p in wrong if p < len(items))
    assert quiz.wrong_positions(items, chosen, correct_by_id) == expected_wrong
    assert quiz.score(items, chosen, correct_by_id) == len(items) - len(expected_wrong)


def test_answers_must_cover_exactly_the_drawn_questions_with_positions_in_range() -> None:
    questions = _pool([3, 3, 4], [0, 1, 2])
    items = quiz.draw(questions, 3, random.Random(1))
    good = {item["question"]: 0 for item in items}
    assert quiz.answers_valid(items, good)
    first = items[0]["question"]
    assert not quiz.answers_valid(items, {k: v for k, v in good.items() if k != first})  # one missing
    assert not quiz.answers_valid(items, {**good, 999: 0})  # a question not drawn
    assert not quiz.answers_valid(items, {**good, first: 3 if len(items[0]["order"]) == 3 else 4})
    assert not quiz.answers_valid(items, {**good, first: -1})
    assert not quiz.answers_valid(items, {**good, first: True})  # a bool is no position


def test_the_default_draw_uses_the_system_random_source() -> None:
    questions = _pool([3] * 10, [0] * 10)
    draws = {tuple(item["question"] for item in quiz.draw(questions, 8)) for _ in range(20)}
    assert len(draws) > 1


# --- rounds --------------------------------------------------------------------------------------

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_three_failures_block_for_the_wait_then_a_new_round_begins() -> None:
    fails = [T0, T0 + timedelta(minutes=5), T0 + timedelta(minutes=10)]
    two = quiz.round_state(
        fails[:2], attempts_per_round=3, retry_wait_hours=24, now=T0 + timedelta(minutes=11)
    )
    assert (two.attempts_used, two.attempts_left, two.blocked) == (2, 1, False)
    blocked = quiz.round_state(fails, attempts_per_round=3, retry_wait_hours=24, now=T0 + timedelta(hours=1))
    assert blocked.blocked_until == fails[-1] + timedelta(hours=24)
    assert blocked.attempts_left == 0
    later = quiz.round_state(
        fails, attempts_per_round=3, retry_wait_hours=24, now=fails[-1] + timedelta(hours=24)
    )
    assert (later.attempts_used, later.attempts_left, later.blocked) == (0, 3, False)
    again = quiz.round_state(
        [*fails, fails[-1] + timedelta(hours=25)],
        attempts_per_round=3,
        retry_wait_hours=24,
        now=fails[-1] + timedelta(hours=26),
    )
    assert (again.attempts_used, again.attempts_left) == (1, 2)


@given(
    gaps=st.lists(st.integers(min_value=0, max_value=60 * 60 * 60), max_size=12),
    per_round=st.integers(min_value=1, max_value=5),
    wait=st.integers(min_value=0, max_value=48),
    later=st.integers(min_value=0, max_value=60 * 60 * 60),
)
def test_round_state_invariants(gaps: list[int], per_round: int, wait: int, later: int) -> None:
    times: list[datetime] = []
    at = T0
    for gap in gaps:
        at += timedelta(seconds=gap)
        times.append(at)
    now = at + timedelta(seconds=later)
    state = quiz.round_state(times, attempts_per_round=per_round, retry_wait_hours=wait, now=now)
    assert 0 <= state.attempts_used <= per_round
    assert 0 <= state.attempts_left <= per_round
    if state.blocked:
        assert state.blocked_until is not None and state.blocked_until > now
        assert state.attempts_left == 0
        assert state.blocked_until <= times[-1] + timedelta(hours=wait)
    else:
        assert state.attempts_used + state.attempts_left == per_round
    if not times:
        assert state == quiz.RoundState(0, per_round, None)
