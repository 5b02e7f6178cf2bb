"""Property tests: whatever bytes arrive, the importer answers with a form or with XDatenfelderError."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from amtsweg.forms.schema import FormSchema
from amtsweg.forms.xdatenfelder import XDatenfelderError, parse_xdatenfelder

from .test_xdatenfelder import v3_field, v3_group, v3_message

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _outcome(data: bytes) -> None:
    rejection: XDatenfelderError | None = None
    try:
        imported = parse_xdatenfelder(data, filename="fuzz.xml")
    except XDatenfelderError as error:
        rejection = error
    if rejection is not None:
        assert rejection.errors, "an error without a reason"
        for entry in rejection.errors:
            assert entry.file == "fuzz.xml"
            assert entry.reason_de and entry.reason_en
        return
    # Whatever was accepted is a valid, storable form.
    stored = imported.schema.model_dump(mode="json", by_alias=True, exclude_none=True)
    FormSchema.model_validate(stored)


@FUZZ
@given(st.binary(max_size=2000))
@example(b"\x00")
@example(b"<?xml version='1.0' encoding='klingon'?><a/>")
@example("<?xml version='1.0' encoding='utf-16'?><a/>".encode("utf-16"))
@example(b"<a>" * 300 + b"</a>" * 300)  # deeper than libxml2 allows without huge_tree
def test_random_bytes_never_crash(data: bytes) -> None:
    _outcome(data)


XML_PIECES = st.sampled_from(
    [
        "<",
        ">",
        "/>",
        "</",
        "&amp;",
        "&lt;",
        "&#0;",
        "&#x1F600;",
        "<![CDATA[",
        "]]>",
        "<!--",
        "-->",
        "<!DOCTYPE a>",
        '<?xml version="1.0"?>',
        "xdf:",
        'xmlns:xdf="urn:xoev-de:fim:standard:xdatenfelder_3.0.0"',
        'xmlns:xdf="urn:xoev-de:fim:standard:xdatenfelder_2"',
        "xdatenfelder.datenfeldgruppe.0103",
        "xdatenfelder.stammdatenschema.0102",
        "datenfeldgruppe",
        "datenfeld",
        "struktur",
        "anzahl",
        "enthaelt",
        "identifikation",
        "id",
        "name",
        "code",
        "1:*",
        "0:1",
        '"',
        " ",
        "\n",
    ]
)


@FUZZ
@given(st.lists(st.one_of(XML_PIECES, st.text(max_size=5)), max_size=60))
def test_xml_like_junk_never_crashes(pieces: list[str]) -> None:
    _outcome("".join(pieces).encode())


_TEXT_NODE = re.compile(r">([^<>]*)<")


@FUZZ
@given(st.data())
def test_a_valid_message_with_random_values_never_crashes(data: st.DataObject) -> None:
    """Every text value of a realistic message replaced by random text, attributes included."""
    message = v3_message(
        v3_field("F1", extra='<xdf:praezisierung minLength="1" maxLength="55" pattern="[0-9]+"/>')
        + v3_group(
            "G2",
            v3_field(
                "F3",
                feldart="select",
                extra="<xdf:werte><xdf:wert><xdf:code>A</xdf:code></xdf:wert></xdf:werte>",
            )
            + v3_field("F4", datentyp="date", anzahl="0:*"),
            anzahl="1:3",
        )
    ).decode()
    slots = _TEXT_NODE.findall(message)
    values = data.draw(
        st.lists(
            st.one_of(
                st.none(),
                st.text(alphabet=st.characters(exclude_categories=["Cs", "Cc"]), max_size=30),
                st.sampled_from(
                    ["", "0:0", "9:1", "1:x", "*", "999999:*", "input", "hidden", "num", "[", "6", "99"]
                ),
            ),
            min_size=len(slots),
            max_size=len(slots),
        )
    )
    replacements = iter(values)

    def replace(match: re.Match[str]) -> str:
        value = next(replacements)
        if value is None:
            return match.group(0)
        escaped = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return f">{escaped}<"

    mutated = _TEXT_NODE.sub(replace, message)
    for attribute in ("minLength", "maxLength", "pattern"):
        value = data.draw(st.sampled_from(["", "-1", "0", "abc", "(", "100001", "3"]))
        mutated = mutated.replace(f'{attribute}="', f'{attribute}="{value}', 1)
    _outcome(mutated.encode())
