"""XBau 2.6 against the real schemas (shared/data/xbau-2.6): 0710 in → Auskunft case; decision →
0713 (codes, bezug, round trip); 0703 of an entry; schema and business refusals; unsafe XML;
missing schemas; the import command."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from lxml import etree
from pytest_django.fixtures import Settings as SettingsWrapper
from rest_framework.authtoken.models import Token

from amtsweg.identity.assurance import SESSION_KEY
from amtsweg.identity.models import User
from amtsweg.testing import EID_LOGIN, World, make_user, shared_data

from .. import xbau
from ..models import AuskunftRequest, Gemarkung, XBauMessage
from ..services_auskunft import auskunft_decide
from .factories import BaulastenSetup, baulasten_setup
from .factories_auskunft import AuskunftSetup, auskunft_setup
from .xbau_messages import P, anfrage_0710, q, results_of, sub, to_bytes

pytestmark = pytest.mark.django_db

SCHEMA = "xbau-2.6/xbau-nachrichten-baulastenverzeichnis.xsd"


@pytest.fixture
def schemas(settings: SettingsWrapper) -> Path:
    folder = shared_data(SCHEMA).parent
    settings.XBAU_SCHEMA_DIR = folder
    return folder


@pytest.fixture
def setup(world: World, schemas: Path) -> AuskunftSetup:
    return auskunft_setup(world, baulasten_setup(world))


def login(client: Client, user: User, level: str = "substantiell") -> Client:
    client.force_login(user)
    session = client.session
    session[SESSION_KEY] = {"level": level, "method": "test", "at": timezone.now().isoformat()}
    session.save()
    return client


def post_0710(client: Client, body: bytes) -> Any:
    return client.post(reverse("api-baulasten-xbau"), data=body, content_type="application/xml")


def receive(world: World, root: etree._Element) -> XBauMessage:
    return xbau.anfrage_receive(xml=to_bytes(root), sender=world.citizen, assurance=EID_LOGIN).message


def decide(
    base: BaulastenSetup, request: AuskunftRequest, *, accepted: bool, reason: str = ""
) -> AuskunftRequest:
    return auskunft_decide(
        request=request, actor=base.bau_neuss, accepted=accepted, reason=reason, channel="web"
    )


# --- 0710 → case → 0713 ------------------------------------------------------------------------------


def test_0710_files_an_auskunft_and_the_0713_answers_it_with_the_codes(
    world: World, setup: AuskunftSetup
) -> None:
    message_uuid = str(uuid.uuid4())
    root = anfrage_0710(
        message_uuid=message_uuid,
        parcels=[
            P(),
            P(flur="7", zaehler="200", nenner=None),
            P(number="3351", flur="1", zaehler="12", nenner="1"),
        ],
    )
    message = receive(world, root)
    case = message.case
    assert case is not None and case.authority == world.neuss and case.applicant == world.citizen
    assert case.submission is not None and case.submission.channel == "xbau"
    request = AuskunftRequest.objects.get(case=case)
    assert request.source == AuskunftRequest.Source.XBAU
    assert request.interest_category == "notar"
    assert [p.kennzeichen for p in request.parcels.order_by("position")] == [
        "053359003001190002__",
        "05335900700200______",
        "053351001000120001__",
    ]
    decide(setup.base, request, accepted=True)
    answer = xbau.auskunft_message(request=AuskunftRequest.objects.get(pk=request.pk))
    assert xbau.validate(answer.xml.encode(), xbau.MSG_0713) == []
    # two entries on 119/2 (code 1), none on 200 (3), only a deleted one on Grimlinghausen 12/1 (3)
    assert results_of(answer.xml) == [
        ("3359/3/119/2", "1", 2),
        ("3359/7/200/", "3", 0),
        ("3351/1/12/1", "3", 0),
    ]
    tree = etree.fromstring(answer.xml.encode())
    assert tree.findtext(f"{q('bezug')}/bezugNachricht/{{{xbau.G2G}}}nachrichtenUUID") == message_uuid
    assert tree.findtext(f"{q('bezug')}/vorgang") == case.reference
    assert tree.findtext("nachrichtenkopf.g2g/leser/kennung") == "psw:11111111"  # the 0710's author
    assert answer.in_reply_to == message
    # the entries carry kind, sheet/number and the text
    daten = tree.findall(f".//{q('baulastDaten')}")
    assert {d.findtext(f"{q('artDerBaulast')}/code") for d in daten} == {"abstandsflaeche", "stellplatz"}
    assert "Baulastenblatt 1 lfd. Nr. 1" in {d.findtext(q("baulastnummer")) for d in daten}
    # asked again: the same stored message (same UUID)
    assert xbau.auskunft_message(request=request).uuid == answer.uuid


def test_refused_request_answers_code_4_for_every_parcel(world: World, setup: AuskunftSetup) -> None:
    message = receive(world, anfrage_0710(parcels=[P(), P(flur="7", zaehler="200", nenner=None)]))
    request = AuskunftRequest.objects.get(case=message.case)
    decide(setup.base, request, accepted=False, reason="Ein berechtigtes Interesse ist nicht dargelegt.")
    answer = xbau.auskunft_message(request=AuskunftRequest.objects.get(pk=request.pk))
    assert xbau.validate(answer.xml.encode(), xbau.MSG_0713) == []
    assert results_of(answer.xml) == [("3359/3/119/2", "4", 0), ("3359/7/200/", "4", 0)]


def test_unknown_parcel_answers_code_5(world: World, setup: AuskunftSetup) -> None:
    message = receive(world, anfrage_0710(parcels=[P(flur="7", zaehler="200", nenner=None)]))
    request = AuskunftRequest.objects.get(case=message.case)
    request.parcels.update(result="unknown")
    request.decision = AuskunftRequest.Decision.ACCEPTED
    request.save(update_fields=["decision"])
    xml = xbau.build_auskunft_0713(request, reply_to=None)
    assert results_of(xml) == [("3359/7/200/", "5", 0)]


def test_round_trip_our_0713_parses_back(world: World, setup: AuskunftSetup) -> None:
    message = receive(world, anfrage_0710(parcels=[P()]))
    request = AuskunftRequest.objects.get(case=message.case)
    decide(setup.base, request, accepted=True)
    answer = xbau.auskunft_message(request=AuskunftRequest.objects.get(pk=request.pk))
    tree = xbau.parse_untrusted(answer.xml.encode())
    assert xbau.message_type_of(tree) == xbau.MSG_0713
    assert xbau.validate_tree(tree, xbau.MSG_0713) == []
    grundstueck = tree.getroot().find(f"{q('ergebnis')}/{q('grundstueck')}")
    assert grundstueck is not None
    node = grundstueck.find(f"{q('angabeGrundstueck')}/{q('flurstueck')}")
    assert node is not None
    ref = xbau._parcel_ref(node, "")
    assert xbau.resolve_parcels([ref])[0].kennzeichen == "053359003001190002__"


def test_undecided_request_has_no_0713_yet(world: World, setup: AuskunftSetup) -> None:
    message = receive(world, anfrage_0710())
    client = login(Client(), world.citizen)
    response = client.get(reverse("api-baulasten-xbau-auskunft", args=[message.case_id]))
    assert response.status_code == 409
    assert response["Content-Type"].startswith("application/problem+json")


def test_api_round_trip_and_duplicate_uuid(world: World, setup: AuskunftSetup) -> None:
    client = login(Client(), world.citizen)
    body = to_bytes(anfrage_0710())
    first = post_0710(client, body)
    assert first.status_code == 202, first.content
    again = post_0710(client, body)
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert again.json()["case_id"] == first.json()["case_id"]
    assert XBauMessage.objects.filter(direction="in").count() == 1
    request = AuskunftRequest.objects.get(case_id=first.json()["case_id"])
    decide(setup.base, request, accepted=True)
    answer = client.get(first.json()["answer"])
    assert answer.status_code == 200 and answer["Content-Type"].startswith("application/xml")
    assert xbau.validate(answer.content, xbau.MSG_0713) == []
    # the keeper's staff read it too; another town's staff and another citizen get 404
    assert login(Client(), setup.base.bau_neuss).get(first.json()["answer"]).status_code == 200
    assert login(Client(), setup.base.bau_dormagen).get(first.json()["answer"]).status_code == 404
    stranger = make_user("fremd@example.org", kind=User.Kind.CITIZEN)
    assert login(Client(), stranger).get(first.json()["answer"]).status_code == 404


def test_a_client_with_an_api_token_sends_0710_and_fetches_the_0713(
    world: World, setup: AuskunftSetup
) -> None:
    """A notary's software sends with its account's API token (trust level "normal", which the
    Auskunft needs: the caseworker checks the legitimate interest) and polls for the answer."""
    token = Token.objects.create(user=world.citizen)
    client = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    sent = post_0710(client, to_bytes(anfrage_0710()))
    assert sent.status_code == 202, sent.content
    assert client.get(sent.json()["answer"]).status_code == 409  # not decided yet
    decide(setup.base, AuskunftRequest.objects.get(case_id=sent.json()["case_id"]), accepted=True)
    answer = client.get(sent.json()["answer"])
    assert answer.status_code == 200 and xbau.validate(answer.content, xbau.MSG_0713) == []


def test_staff_and_anonymous_may_not_send_0710(world: World, setup: AuskunftSetup) -> None:
    body = to_bytes(anfrage_0710())
    assert post_0710(Client(), body).status_code in (401, 403)
    assert post_0710(login(Client(), setup.base.bau_neuss), body).status_code == 403


# --- 0703 ---------------------------------------------------------------------------------------------


def test_0703_of_an_entry_validates_and_only_the_keeper_gets_it(world: World, setup: AuskunftSetup) -> None:
    base = setup.base
    xml = xbau.build_eintragung_0703(base.setback)
    assert xbau.validate(xml, xbau.MSG_0703) == []
    tree = etree.fromstring(xml)
    baulast = tree.find(q("baulast"))
    assert baulast is not None
    assert baulast.findtext(f"{q('artDerBaulast')}/code") == "abstandsflaeche"
    assert len(baulast.findall(f"{q('beteiligteGrundstuecke')}/{q('belastetesGrundstueck')}")) == 1
    assert len(baulast.findall(f"{q('beteiligteGrundstuecke')}/{q('beguenstigtesGrundstueck')}")) == 1
    assert "Erika" not in xml.decode()  # obligors are not sent
    url = reverse("api-baulasten-xbau-0703", args=[world.neuss.ags, base.setback.pk])
    response = login(Client(), base.bau_neuss).get(url)
    assert response.status_code == 200
    assert xbau.validate(response.content, xbau.MSG_0703) == []
    assert login(Client(), base.bau_dormagen).get(url).status_code == 404
    other = reverse("api-baulasten-xbau-0703", args=[world.neuss.ags, base.dormagen_entry.pk])
    assert login(Client(), base.bau_neuss).get(other).status_code == 404
    assert login(Client(), world.citizen).get(url).status_code == 403


def test_0703_of_a_deleted_entry_validates(world: World, setup: AuskunftSetup) -> None:
    xml = xbau.build_eintragung_0703(setup.base.deleted)
    assert xbau.validate(xml, xbau.MSG_0703) == []
    assert "Gelöscht am 30.06.2015" in xml.decode()


def test_a_produced_invalid_message_is_never_returned(
    world: World, setup: AuskunftSetup, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(xbau, "BUNDESLAND_LIST_VERSION", None)  # drops the required listVersionID
    with pytest.raises(xbau.ProducedInvalid):
        xbau.build_eintragung_0703(setup.base.setback)
    assert "listVersionID" in caplog.text


# --- refusals -----------------------------------------------------------------------------------------


def _negative(name: str) -> bytes:
    root = anfrage_0710()
    if name == "header in xbau namespace":
        head = root.find("nachrichtenkopf.g2g")
        assert head is not None
        head.tag = q("nachrichtenkopf.g2g")
    elif name == "gemarkung nummer and bezeichnung":
        gem = root.find(".//gemarkung")
        assert gem is not None
        sub(gem, "bezeichnung", "Neuss")
    elif name == "bundesland without listVersionID":
        node = root.find(".//bundesland")
        assert node is not None
        del node.attrib["listVersionID"]
    elif name == "dateTime with a space":
        node = root.find(".//erstellungszeitpunkt")
        assert node is not None
        node.text = "2026-07-03 10:00:00"
    elif name == "version 2.5":
        root.set("version", "2.5")
    elif name == "uuid not a uuid":
        node = root.find(".//nachrichtenUUID")
        assert node is not None
        node.text = "not-a-uuid"
    elif name == "element order":
        angaben = root.find(q("angabenGrundstuecke"))
        assert angaben is not None
        root.remove(angaben)
        root.insert(1, angaben)  # before referenzAntragsservice / antragsteller
    elif name == "artBaulastauskunft code 03":
        node = root.find(f".//{q('artBaulastauskunft')}/code")
        assert node is not None
        node.text = "03"
    elif name == "wrong fixed listURI":
        node = root.find(".//nachrichtentyp")
        assert node is not None
        node.set("listURI", "urn:foo")
    return to_bytes(root)


NEGATIVE = {
    "header in xbau namespace": "nachrichtenkopf.g2g",
    "gemarkung nummer and bezeichnung": "bezeichnung",
    "bundesland without listVersionID": "listVersionID",
    "dateTime with a space": "xs:dateTime",
    "version 2.5": "2.6",
    "uuid not a uuid": "pattern",
    "element order": "not expected",
    "artBaulastauskunft code 03": "enumeration",
    "wrong fixed listURI": "fixed value",
}


@pytest.mark.parametrize("name", sorted(NEGATIVE))
def test_invalid_0710_is_refused_with_the_schema_error(world: World, setup: AuskunftSetup, name: str) -> None:
    body = _negative(name)
    errors = xbau.validate(body, xbau.MSG_0710)
    assert errors and NEGATIVE[name] in errors[0].message
    response = post_0710(login(Client(), world.citizen), body)
    assert response.status_code == 400
    problem = response.json()
    assert problem["code"] == "xbau-invalid"
    assert problem["errors"][0]["line"] >= 1 and NEGATIVE[name] in problem["errors"][0]["message"]
    assert not AuskunftRequest.objects.exists()


@pytest.mark.parametrize(
    ("root", "code"),
    [
        (anfrage_0710(parcels=[]), "xbau-no-parcel"),
        (anfrage_0710(parcels=[P(number="3999")]), "xbau-gemarkung-unknown"),
        (anfrage_0710(parcels=[P(number=None, name="Nirgendwo")]), "xbau-gemarkung-unknown"),
        (anfrage_0710(parcels=[P(zaehler=None)]), "xbau-parcel-invalid"),
        (anfrage_0710(parcels=[P(flur="1000")]), "xbau-parcel-invalid"),
        (anfrage_0710(interest=None), "xbau-interest-missing"),
        (
            anfrage_0710(parcels=[P(), P(number="3347", flur="2", zaehler="45", nenner=None)]),
            "baulasten-parcel-elsewhere",
        ),
    ],
)
def test_business_rules_are_checked_after_the_schema(
    world: World, setup: AuskunftSetup, root: etree._Element, code: str
) -> None:
    body = to_bytes(root)
    assert xbau.validate(body, xbau.MSG_0710) == []  # the XSD lets it through
    response = post_0710(login(Client(), world.citizen), body)
    assert response.status_code == 422, response.content
    assert response.json()["code"] == code
    assert not AuskunftRequest.objects.exists()


def test_gemarkung_by_name_is_resolved_and_an_ambiguous_name_refused(
    world: World, setup: AuskunftSetup
) -> None:
    message = receive(world, anfrage_0710(parcels=[P(number=None, name="Neuss")]))
    assert AuskunftRequest.objects.get(case=message.case).parcels.get().kennzeichen == "053359003001190002__"
    Gemarkung.objects.create(key="053294", name="Büderich")
    Gemarkung.objects.create(key="053345", name="Büderich", town=world.neuss)
    response = post_0710(
        login(Client(), world.citizen), to_bytes(anfrage_0710(parcels=[P(number=None, name="büderich")]))
    )
    assert response.status_code == 422
    assert response.json()["code"] == "xbau-gemarkung-ambiguous"
    assert response.json()["candidates"] == ["053294", "053345"]


def test_dormagen_parcels_go_to_dormagen(world: World, setup: AuskunftSetup) -> None:
    message = receive(world, anfrage_0710(parcels=[P(number="3347", flur="2", zaehler="45", nenner=None)]))
    assert message.case is not None and message.case.authority == world.dormagen
    assert message.authority == world.dormagen


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<lolz>&lol3;</lolz>"""
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<xbau:baulastenverzeichnis.anfrage.0710 xmlns:xbau="http://www.xleitstelle.de/xbau/2/6">&xxe;</xbau:baulastenverzeichnis.anfrage.0710>"""


@pytest.mark.parametrize(
    "body", [BILLION_LAUGHS, XXE, XXE.decode().encode("utf-16")], ids=["laughs", "xxe", "utf16"]
)
def test_entities_and_doctypes_are_refused(world: World, setup: AuskunftSetup, body: bytes) -> None:
    with pytest.raises(xbau.MessageMalformed):
        xbau.parse_untrusted(body)
    response = post_0710(login(Client(), world.citizen), body)
    assert response.status_code == 400
    assert b"root:" not in response.content


def test_not_well_formed_and_oversized_are_refused(world: World, setup: AuskunftSetup) -> None:
    client = login(Client(), world.citizen)
    response = post_0710(client, b"<a><b></a>")
    assert response.status_code == 400 and response.json()["code"] == "xbau-malformed"
    assert response.json()["errors"][0]["line"] == 1
    big = b"<a>" + b"x" * (xbau.MAX_MESSAGE_BYTES + 10) + b"</a>"
    assert post_0710(client, big).status_code == 400
    assert (
        post_0710(client, to_bytes(anfrage_0710()).replace(b"anfrage.0710", b"auskunft.0713")).status_code
        == 400
    )


# --- schemas ------------------------------------------------------------------------------------------


def test_missing_schemas_are_a_503_naming_the_command(
    world: World, setup: AuskunftSetup, settings: SettingsWrapper, tmp_path: Path
) -> None:
    settings.XBAU_SCHEMA_DIR = tmp_path / "leer"
    response = post_0710(login(Client(), world.citizen), to_bytes(anfrage_0710()))
    assert response.status_code == 503
    assert response.json()["code"] == "xbau-schemas-missing"
    assert "import_xbau_schemas" in response.json()["detail"]
    from django.core.checks import run_checks

    assert "baulasten.W002" in [m.id for m in run_checks()]


def test_import_command_copies_is_idempotent_and_reports_missing_files(
    schemas: Path, settings: SettingsWrapper, tmp_path: Path
) -> None:
    settings.XBAU_SCHEMA_DIR = tmp_path / "schemas"
    call_command("import_xbau_schemas", str(schemas))
    copied = sorted(p.name for p in (tmp_path / "schemas").iterdir())
    assert "xbau-nachrichten-baulastenverzeichnis.xsd" in copied and "xoev-code.xsd" in copied
    assert "xbau-nachrichten-baulastloeschung.xsd" not in copied  # only what the messages need
    assert xbau.validate(to_bytes(anfrage_0710()), xbau.MSG_0710) == []
    from io import StringIO

    out = StringIO()
    call_command("import_xbau_schemas", str(schemas), stdout=out)
    assert "0 copied" in out.getvalue()
    partial = tmp_path / "partial"
    partial.mkdir()
    for path in schemas.glob("*.xsd"):
        if path.name != "xoev-code.xsd":
            (partial / path.name).write_bytes(path.read_bytes())
    settings.XBAU_SCHEMA_DIR = tmp_path / "other"
    with pytest.raises(CommandError, match=r"xoev-code\.xsd"):
        call_command("import_xbau_schemas", str(partial))
    assert not (tmp_path / "other").exists()
