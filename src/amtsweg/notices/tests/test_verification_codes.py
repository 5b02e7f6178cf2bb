"""Verification codes: signed, short, read forgivingly, and every altered or forged code rejected."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amtsweg.notices.verification import (
    ALPHABET,
    CODE_LENGTH,
    Malformed,
    format_code,
    new_code,
    parse_code,
)


def test_a_new_code_is_16_characters_of_the_alphabet_and_signed() -> None:
    code = new_code()
    assert len(code) == CODE_LENGTH
    assert set(code) <= set(ALPHABET)
    assert parse_code(code).signed


def test_codes_are_random() -> None:
    assert len({new_code() for _ in range(200)}) == 200


def test_display_groups_by_four() -> None:
    assert format_code("7K3MQ9TDXW2BHC4R") == "7K3M-Q9TD-XW2B-HC4R"


def test_reading_ignores_case_spaces_dashes_and_confusable_letters() -> None:
    code = new_code()
    typed = " " + format_code(code).lower().replace("-", " ") + " "
    assert parse_code(typed).value == code
    with_letters = code.replace("0", "O").replace("1", "I")
    assert parse_code(with_letters).value == code
    assert parse_code(code.replace("1", "l")).value == code


@pytest.mark.parametrize("position", range(CODE_LENGTH))
def test_changing_any_one_character_breaks_the_signature(position: int) -> None:
    code = new_code()
    for replacement in ALPHABET:
        if replacement == code[position]:
            continue
        altered = code[:position] + replacement + code[position + 1 :]
        assert not parse_code(altered).signed, f"{altered} (position {position}) still verifies"


def test_a_code_made_up_with_another_key_is_rejected(settings: Any) -> None:
    settings.SECRET_KEY = "somebody-else's-installation-key-0123456789"
    forged = new_code()
    settings.SECRET_KEY = "the-real-key-of-this-installation-9876543210"
    assert not parse_code(forged).signed


def test_codes_stay_valid_after_a_key_rotation_with_fallback(settings: Any) -> None:
    settings.SECRET_KEY = "old-key-old-key-old-key-old-key-old-key-0001"
    code = new_code()
    settings.SECRET_KEY = "new-key-new-key-new-key-new-key-new-key-0002"
    settings.SECRET_KEY_FALLBACKS = ["old-key-old-key-old-key-old-key-old-key-0001"]
    assert parse_code(code).signed


@pytest.mark.parametrize(
    "text",
    [
        "",
        "ABC",
        "7K3M-Q9TD-XW2B-HC4",
        "7K3M-Q9TD-XW2B-HC4RX",
        "7K3M-Q9TD-XW2B-HC4U",
        "7K3M Q9TD XW2B HC4!",
        "x" * 5000,
    ],
)
def test_malformed_text_is_not_a_code(text: str) -> None:
    with pytest.raises(Malformed):
        parse_code(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_any_text_is_either_malformed_or_a_code_never_an_error(text: str) -> None:
    try:
        code = parse_code(text)
    except Malformed:
        return
    assert len(code.value) == CODE_LENGTH
    code.signed  # noqa: B018  (must not raise)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=ALPHABET, min_size=CODE_LENGTH, max_size=CODE_LENGTH))
def test_random_codes_are_not_accepted(text: str) -> None:
    # 2^-40 per try: a random well-formed code is practically never signed.
    assert not parse_code(text).signed
