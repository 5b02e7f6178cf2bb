"""XBau 2.6 messages of the Baulastenverzeichnis: the Auskunft request ``baulastenverzeichnis.anfrage.0710``
(received), the answer ``baulastenverzeichnis.auskunft.0713`` and the entry ``baulasten.eintragung.0703``
(produced).

* The XSDs are never shipped in the repository: ``amtsweg import_xbau_schemas <dir>`` copies them into
  ``settings.XBAU_SCHEMA_DIR``. Each message schema is compiled once per process (about 1 MB of XSD);
  without them every XBau operation is a 503 problem ``xbau-schemas-missing`` naming the command, and
  the system check ``baulasten.W002`` warns at start.
* Incoming XML is untrusted: size limit, no DTD at all (so no entities, no billion laughs, no XXE), no
  network, no huge trees. A message that does not validate is refused with the schema errors (line and
  message); the XSD is permissive (every element optional), so the business rules are checked after it.
* Every message we produce is validated before it leaves; an invalid one is a bug: it is logged with
  the schema error and never sent (500).

Namespace rules (the pitfall of XBau): the root and everything declared in the xbau schemas is
qualified with ``XBAU``; the header ``nachrichtenkopf.g2g`` and everything below it, all children of
kernmodul types and every ``<code>`` are unqualified; only the children of ``bezug/bezugNachricht`` are
qualified with the g2g namespace.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import checks
from django.db import IntegrityError, transaction
from django.utils import timezone
from lxml import etree

from amtsweg.core.problems import Problem
from amtsweg.tenancy.models import Authority

from . import flurstueck
from .models import (
    AuskunftParcel,
    AuskunftRequest,
    Baulast,
    BaulastParcel,
    Gemarkung,
    InterestCategory,
    XBauMessage,
)
from .selectors import register_for_gemarkung

logger = logging.getLogger(__name__)

XBAU = "http://www.xleitstelle.de/xbau/2/6"
G2G = "http://xoev.de/schemata/basisnachricht/g2g/1_1"
XS = "http://www.w3.org/2001/XMLSchema"
NSMAP = {"xbau": XBAU, "bn-g2g": G2G}

MSG_0710 = "0710"
MSG_0713 = "0713"
MSG_0703 = "0703"
# message type → (root element, schema file)
MESSAGES: dict[str, tuple[str, str]] = {
    MSG_0710: ("baulastenverzeichnis.anfrage.0710", "xbau-nachrichten-baulastenverzeichnis.xsd"),
    MSG_0713: ("baulastenverzeichnis.auskunft.0713", "xbau-nachrichten-baulastenverzeichnis.xsd"),
    MSG_0703: ("baulasten.eintragung.0703", "xbau-nachrichten-baulasten.xsd"),
}
MESSAGE_SCHEMAS = sorted({schema for _, schema in MESSAGES.values()})
IMPORT_COMMAND = "amtsweg import_xbau_schemas"
MAX_MESSAGE_BYTES = 2 * 1024 * 1024  # a 0710 is a few KB; attachments travel separately

# Code lists. Type 1/2 lists have fixed listURI/listVersionID (written exactly); type 3 lists need
# both attributes and accept any code. Values not verifiable against a published list are marked.
LIST_NACHRICHTEN = ("urn:xoev-de:xbau:codeliste:xbau-nachrichten", "4.0")  # fixed in the XSD
LIST_BAULASTAUSKUNFT = ("urn:xoev-de:xbau:codeliste:baulastauskunft", "3.0")  # fixed in the XSD
BUNDESLAND_LIST_VERSION = "2010-04-01"  # destatis Bundesland list referenced by XBau 2.6
VERZEICHNISDIENST = ("DVDV", "2")  # listVersionID unverified: the XSD only requires some value
# XRepository's pattern list urn:xoev-de:xbau:codeliste:artderbaulast is not published with codes:
# the alliance's own list (the values of models.BaulastKind).
LIST_ART_DER_BAULAST = ("urn:de:amtsweg:codeliste:artderbaulast", "1")

# Code.Baulastauskunft v3.0 (xbau-codes.xsd), the answer per parcel of a 0713.
RESULT_BURDENED = "1"  # Aktuelle Flurstücksdaten sind belastet.
RESULT_PREDECESSOR = "2"  # nicht belastet, aber Vorgängerflurstücke (the register keeps no lineage)
RESULT_NOT_BURDENED = "3"  # nicht belastet: Negativbescheinigung
RESULT_NO_INTEREST = "4"  # kein berechtigtes Interesse
RESULT_WRONG_PARCEL = "5"  # falsche Flurstücksangabe

# Code.BeteiligterRolle (rolleAntragsteller) → our interest category; unlisted roles come as text.
_ROLE_CATEGORY = {
    "01": InterestCategory.OTHER,  # Bevollmächtigter
    "02": InterestCategory.OWNER,  # Grundstückseigentümer
    "06": InterestCategory.ARCHITECT,  # Fachplaner
    "07": InterestCategory.OTHER,  # Gutachter
}
_ROLE_TEXT = (
    (re.compile(r"notar", re.I), InterestCategory.NOTARY),
    (re.compile(r"bank|kredit|sparkasse|beleihung", re.I), InterestCategory.BANK),
    (re.compile(r"käufer|kaeufer|kaufinteress|erwerb", re.I), InterestCategory.BUYER),
    (re.compile(r"architekt|entwurf|planer", re.I), InterestCategory.ARCHITECT),
    (re.compile(r"eigentümer|eigentuemer|erbbau", re.I), InterestCategory.OWNER),
    (re.compile(r"nachbar", re.I), InterestCategory.NEIGHBOUR),
    (re.compile(r"behörde|behoerde|amt\b", re.I), InterestCategory.AUTHORITY),
)


# --- problems ------------------------------------------------------------------------------------


class SchemasMissing(Problem):
    status_code = 503
    code = "xbau-schemas-missing"


class MessageMalformed(Problem):
    """Not well-formed, too large, with a DTD, or not the expected message (400)."""

    status_code = 400
    code = "xbau-malformed"


class MessageInvalid(Problem):
    """Does not validate against the XSD (400, ``errors``: line and message of each schema error)."""

    status_code = 400
    code = "xbau-invalid"


class MessageRejected(Problem):
    """Valid against the XSD, but breaks a business rule (422)."""

    status_code = 422
    code = "xbau-rejected"


class ProducedInvalid(Exception):
    """A message we built does not validate: a bug, never sent."""


@dataclass(frozen=True)
class SchemaError:
    line: int
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "message": self.message}


# --- schemas ---------------------------------------------------------------------------------------

_compile_lock = threading.Lock()
_schemas: dict[tuple[str, str], tuple[etree.XMLSchema, threading.Lock]] = {}


def schema_dir() -> Path:
    return Path(settings.XBAU_SCHEMA_DIR)


def required_files(source: Path) -> tuple[list[str], list[str]]:
    """The message schemas and everything they import or include (transitively) in ``source``:
    (present, missing) file names."""
    present: list[str] = []
    missing: list[str] = []
    todo = list(MESSAGE_SCHEMAS)
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        path = source / name
        if not path.is_file():
            missing.append(name)
            continue
        present.append(name)
        tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
        for node in tree.getroot():
            if node.tag in (f"{{{XS}}}import", f"{{{XS}}}include"):
                location = node.get("schemaLocation")
                if location and "://" not in location:
                    todo.append(Path(location).name)
    return sorted(present), sorted(missing)


def schemas_problem() -> str | None:
    """Why XBau cannot work here (for the system check and the 503), or None."""
    directory = schema_dir()
    missing = [name for name in MESSAGE_SCHEMAS if not (directory / name).is_file()]
    if missing:
        return (
            f"XBau schemas missing in {directory} ({', '.join(missing)}): "
            f"run `{IMPORT_COMMAND} <folder with the XBau 2.6 XSDs>`."
        )
    return None


def schema(filename: str) -> tuple[etree.XMLSchema, threading.Lock]:
    """The compiled schema ``filename`` of ``XBAU_SCHEMA_DIR`` (once per process and folder) and the
    lock to validate with (a compiled schema keeps its error log on itself, so one validation at a time)."""
    directory = schema_dir()
    key = (str(directory), filename)
    cached = _schemas.get(key)
    if cached is not None:
        return cached
    with _compile_lock:
        cached = _schemas.get(key)
        if cached is not None:
            return cached
        path = directory / filename
        if not path.is_file():
            raise SchemasMissing(
                f"Die XBau-Schemata fehlen ({path}). Die Betreiberin richtet sie mit "
                f"„{IMPORT_COMMAND} <Ordner>“ ein.",
                f"The XBau schemas are missing ({path}). The operator installs them with "
                f"'{IMPORT_COMMAND} <folder>'.",
                extra={"command": IMPORT_COMMAND},
            )
        parser = etree.XMLParser(resolve_entities=False, no_network=True)
        compiled = etree.XMLSchema(etree.parse(str(path), parser))
        cached = (compiled, threading.Lock())
        _schemas[key] = cached
        return cached


def clear_schema_cache() -> None:
    with _compile_lock:
        _schemas.clear()


@checks.register()
def xbau_schemas_check(**kwargs: Any) -> list[checks.CheckMessage]:
    problem = schemas_problem()
    if problem is None:
        return []
    return [checks.Warning(problem, id="baulasten.W002", hint=f"{IMPORT_COMMAND} /path/to/xbau-2.6")]


# --- parsing and validation -------------------------------------------------------------------------


def parse_untrusted(data: bytes) -> etree._ElementTree:
    """Parse XML from outside: no DTD (hence no entities), no network, no huge trees, size-limited."""
    if len(data) > MAX_MESSAGE_BYTES:
        raise MessageMalformed(
            f"Die Nachricht ist größer als {MAX_MESSAGE_BYTES // 1024} KB.",
            f"The message exceeds {MAX_MESSAGE_BYTES // 1024} KB.",
        )
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise MessageMalformed(
            "Nachrichten mit DOCTYPE- oder ENTITY-Deklarationen werden nicht angenommen.",
            "Messages with DOCTYPE or ENTITY declarations are refused.",
            code="xbau-doctype",
        )
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
        remove_comments=False,
    )
    try:
        tree = etree.fromstring(data, parser).getroottree()
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or 0
        raise MessageMalformed(
            f"Die Nachricht ist kein wohlgeformtes XML (Zeile {line}): {exc.msg}",
            f"The message is not well-formed XML (line {line}): {exc.msg}",
            extra={"errors": [{"line": line, "message": exc.msg}]},
        ) from exc
    docinfo: Any = tree.docinfo
    if docinfo.doctype:  # other encodings than UTF-8/ASCII could hide the bytes above
        raise MessageMalformed(
            "Nachrichten mit DOCTYPE-Deklaration werden nicht angenommen.",
            "Messages with a DOCTYPE declaration are refused.",
            code="xbau-doctype",
        )
    return tree


def message_type_of(tree: etree._ElementTree) -> str:
    root = tree.getroot()
    for message, (name, _schema) in MESSAGES.items():
        if root.tag == f"{{{XBAU}}}{name}":
            return message
    raise MessageMalformed(
        f"Unerwartete Nachricht {root.tag!r}: angenommen wird {MESSAGES[MSG_0710][0]}.",
        f"Unexpected message {root.tag!r}: accepted is {MESSAGES[MSG_0710][0]}.",
        code="xbau-unexpected-message",
    )


def validate_tree(tree: etree._ElementTree, message: str) -> list[SchemaError]:
    compiled, lock = schema(MESSAGES[message][1])
    with lock:
        if compiled.validate(tree):
            return []
        log: Any = compiled.error_log
        return [SchemaError(line=int(error.line), message=str(error.message)) for error in log]


def validate(xml_bytes: bytes, message: str) -> list[SchemaError]:
    """The schema errors of ``xml_bytes`` as message ``message`` ("0710", "0713", "0703"); [] = valid."""
    tree = parse_untrusted(xml_bytes)
    root_name = MESSAGES[message][0]
    if tree.getroot().tag != f"{{{XBAU}}}{root_name}":
        line = tree.getroot().sourceline
        return [
            SchemaError(line=line if isinstance(line, int) else 1, message=f"Root element is not {root_name}")
        ]
    return validate_tree(tree, message)


def _refuse_invalid(errors: list[SchemaError]) -> MessageInvalid:
    first = errors[0]
    return MessageInvalid(
        f"Die Nachricht entspricht nicht dem XBau-2.6-Schema (Zeile {first.line}): {first.message}",
        f"The message does not validate against the XBau 2.6 schema (line {first.line}): {first.message}",
        extra={"errors": [e.as_dict() for e in errors[:50]]},
    )


# --- reading a 0710 ---------------------------------------------------------------------------------


def _q(tag: str) -> str:
    return f"{{{XBAU}}}{tag}"


def _text(node: etree._Element | None, path: str) -> str:
    if node is None:
        return ""
    found = node.find(path)
    return (found.text or "").strip() if found is not None else ""


@dataclass(frozen=True)
class Party:
    """leser/autor of a header (a DVDV-addressed system)."""

    kennung: str
    name: str
    directory: str = VERZEICHNISDIENST[0]
    directory_version: str = VERZEICHNISDIENST[1]


@dataclass(frozen=True)
class ParcelRef:
    """A requested parcel as the message names it (the Gemarkung by number or by name)."""

    land: str
    gemarkung_number: str
    gemarkung_name: str
    flur: str
    zaehler: str
    nenner: str
    folge: str
    kind_of_answer: str  # artBaulastauskunft: 01 Auskunft, 02 Abschrift, "" not given


@dataclass(frozen=True)
class Attachment:
    title: str
    filename: str
    mime_type: str


@dataclass
class AnfrageData:
    uuid: uuid.UUID
    created: dt.datetime | None
    sender: Party | None
    reader: Party | None
    applicant_kind: str  # "person" | "organisation" | ""
    applicant_name: str
    role_code: str
    role_text: str
    parcels: list[ParcelRef] = field(default_factory=list)
    interest_text: str = ""
    attachments: list[Attachment] = field(default_factory=list)

    @property
    def interest_category(self) -> str:
        category = _ROLE_CATEGORY.get(self.role_code)
        if category is not None:
            return category.value
        for pattern, value in _ROLE_TEXT:
            if pattern.search(self.role_text):
                return value.value
        return InterestCategory.OTHER.value


def _party(node: etree._Element | None) -> Party | None:
    if node is None:
        return None
    directory = node.find("verzeichnisdienst")
    return Party(
        kennung=_text(node, "kennung"),
        name=_text(node, "name"),
        directory=_text(directory, "code") or VERZEICHNISDIENST[0],
        directory_version=(directory.get("listVersionID") if directory is not None else None)
        or VERZEICHNISDIENST[1],
    )


def _parcel_ref(node: etree._Element, kind_of_answer: str) -> ParcelRef:
    kod = node.find("kodierungFlurstueck")
    gem = kod.find("gemarkung") if kod is not None else None
    return ParcelRef(
        land=_text(node, "bundesland/code"),
        gemarkung_number=_text(gem, "nummer"),
        gemarkung_name=_text(gem, "bezeichnung"),
        flur=_text(kod, "flur"),
        zaehler=_text(kod, "zaehler"),
        nenner=_text(kod, "nenner"),
        folge=_text(kod, "folge"),
        kind_of_answer=kind_of_answer,
    )


def _created(text: str) -> dt.datetime | None:
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if timezone.is_aware(value) else timezone.make_aware(value, dt.UTC)


def parse_anfrage_0710(tree: etree._ElementTree) -> AnfrageData:
    """The content of a (schema-valid) 0710; business rules are checked by :func:`anfrage_check`."""
    root = tree.getroot()
    head = root.find("nachrichtenkopf.g2g")
    ident = head.find("identifikation.nachricht") if head is not None else None
    message_uuid = _text(ident, "nachrichtenUUID")
    if not message_uuid:
        raise MessageRejected(
            "Die Nachricht hat keinen Nachrichtenkopf mit Nachrichten-UUID.",
            "The message has no header with a message UUID.",
            extra={"field": "nachrichtenkopf.g2g"},
        )
    applicant = root.find(_q("antragsteller"))
    kind, name = "", ""
    if applicant is not None:
        person = applicant.find("natuerlichePerson")
        organisation = applicant.find("organisation")
        if person is not None:
            kind = "person"
            name = " ".join(
                part
                for part in (
                    _text(person, "name/vorname/name"),
                    _text(person, "name/familienname/name"),
                )
                if part
            )
        elif organisation is not None:
            kind = "organisation"
            name = _text(organisation, "name/name")
    role = root.find(_q("rolleAntragsteller"))
    parcels: list[ParcelRef] = []
    for grundstueck in root.iterfind(f"{_q('angabenGrundstuecke')}/{_q('grundstueck')}"):
        kind_of_answer = _text(grundstueck, f"{_q('artBaulastauskunft')}/code")
        for node in grundstueck.iterfind(_q("flurstueck")):
            parcels.append(_parcel_ref(node, kind_of_answer))
    interest = root.find(_q("berechtigtesInteresse"))
    attachments = [
        Attachment(
            title=_text(anlage, "bezeichnung"),
            filename=_text(anlage, "anhangOderVerlinkung/*/dateiname"),
            mime_type=_text(anlage, "mimeType/code"),
        )
        for anlage in (interest.iterfind(f"{_q('nachweis')}/anlage") if interest is not None else [])
    ]
    return AnfrageData(
        uuid=uuid.UUID(message_uuid),
        created=_created(_text(ident, "erstellungszeitpunkt")),
        sender=_party(head.find("autor") if head is not None else None),
        reader=_party(head.find("leser") if head is not None else None),
        applicant_kind=kind,
        applicant_name=name,
        role_code=_text(role, "code") if role is not None else "",
        role_text=_text(role, _q("nichtGelisteterWert")) if role is not None else "",
        parcels=parcels,
        interest_text=_text(interest, _q("beschreibung")),
        attachments=attachments,
    )


def _int_part(value: str, name_de: str, name_en: str, index: int, part: str) -> int | None:
    if not value:
        return None
    if not (value.isascii() and value.isdigit()):
        raise MessageRejected(
            f"Flurstück {index + 1}: {name_de} „{value}“ ist keine Zahl.",
            f"Parcel {index + 1}: {name_en} {value!r} is not a number.",
            code="xbau-parcel-invalid",
            extra={"parcel": index, "part": part},
        )
    return int(value)


def resolve_parcels(parcels: list[ParcelRef]) -> list[flurstueck.Flurstueck]:
    """The requested parcels as Flurstückskennzeichen; the Gemarkung given by name is looked up in the
    Gemarkung table (names are not unique: Büderich is 3345 and 3294)."""
    if not parcels:
        raise MessageRejected(
            "Die Anfrage nennt kein Flurstück (angabenGrundstuecke/grundstueck/flurstueck).",
            "The request names no parcel (angabenGrundstuecke/grundstueck/flurstueck).",
            code="xbau-no-parcel",
        )
    if len(parcels) > 20:
        raise MessageRejected(
            "Eine Anfrage darf höchstens 20 Flurstücke nennen.",
            "A request may name at most 20 parcels.",
            code="xbau-too-many-parcels",
        )
    result: list[flurstueck.Flurstueck] = []
    for index, ref in enumerate(parcels):
        land = ref.land or "05"
        if ref.gemarkung_number:
            number = ref.gemarkung_number
        elif ref.gemarkung_name:
            matches = list(Gemarkung.objects.filter(name__iexact=ref.gemarkung_name).order_by("key"))
            if not matches:
                raise MessageRejected(
                    f"Flurstück {index + 1}: Die Gemarkung „{ref.gemarkung_name}“ ist nicht bekannt.",
                    f"Parcel {index + 1}: the Gemarkung {ref.gemarkung_name!r} is not known.",
                    code="xbau-gemarkung-unknown",
                    extra={"parcel": index},
                )
            if len(matches) > 1:
                raise MessageRejected(
                    f"Flurstück {index + 1}: Den Gemarkungsnamen „{ref.gemarkung_name}“ gibt es mehrfach "
                    f"({', '.join(m.number for m in matches)}); bitte die Gemarkungsnummer angeben.",
                    f"Parcel {index + 1}: the Gemarkung name {ref.gemarkung_name!r} is ambiguous "
                    f"({', '.join(m.number for m in matches)}); please give the Gemarkung number.",
                    code="xbau-gemarkung-ambiguous",
                    extra={"parcel": index, "candidates": [m.key for m in matches]},
                )
            land, number = matches[0].land, matches[0].number
        else:
            raise MessageRejected(
                f"Flurstück {index + 1}: Die Gemarkung fehlt.",
                f"Parcel {index + 1}: the Gemarkung is missing.",
                code="xbau-parcel-invalid",
                extra={"parcel": index, "part": "gemarkung"},
            )
        zaehler = _int_part(ref.zaehler, "Zähler", "numerator", index, "zaehler")
        if zaehler is None:
            raise MessageRejected(
                f"Flurstück {index + 1}: Der Zähler fehlt.",
                f"Parcel {index + 1}: the numerator (Zähler) is missing.",
                code="xbau-parcel-invalid",
                extra={"parcel": index, "part": "zaehler"},
            )
        try:
            parcel = flurstueck.build(
                land=land,
                gemarkung=number,
                flur=_int_part(ref.flur, "Flur", "Flur", index, "flur"),
                zaehler=zaehler,
                nenner=_int_part(ref.nenner, "Nenner", "denominator", index, "nenner"),
                folge=_int_part(ref.folge, "Folge", "sequence", index, "folge"),
            )
        except flurstueck.InvalidKennzeichen as exc:
            raise MessageRejected(
                f"Flurstück {index + 1}: {exc.detail_de}",
                f"Parcel {index + 1}: {exc.detail_en}",
                code="xbau-parcel-invalid",
                extra={"parcel": index, **exc.extra},
            ) from exc
        if not Gemarkung.objects.filter(key=parcel.gemarkung_key).exists():
            raise MessageRejected(
                f"Flurstück {index + 1}: Die Gemarkung {parcel.gemarkung} ist in keinem Verzeichnis bekannt.",
                f"Parcel {index + 1}: the Gemarkung {parcel.gemarkung} is not known to any register.",
                code="xbau-gemarkung-unknown",
                extra={"parcel": index},
            )
        result.append(parcel)
    return result


def keeper_for(parcels: list[flurstueck.Flurstueck]) -> Authority:
    """The authority keeping the register of all ``parcels``; one request goes to one keeper."""
    keepers: dict[int, Authority] = {}
    for index, parcel in enumerate(parcels):
        register = register_for_gemarkung(parcel.gemarkung_key)
        if register is None:
            raise MessageRejected(
                f"Flurstück {index + 1}: Für die Gemarkung {parcel.gemarkung} führt keine Behörde des "
                "Verbunds ein Baulastenverzeichnis.",
                f"Parcel {index + 1}: no authority of the alliance keeps a register for Gemarkung "
                f"{parcel.gemarkung}.",
                code="xbau-no-keeper",
                extra={"parcel": index},
            )
        keepers.setdefault(register.authority_id, register.authority)
        if len(keepers) > 1:
            names = ", ".join(a.name for a in keepers.values())
            raise MessageRejected(
                f"Flurstück {index + 1} liegt im Verzeichnis einer anderen Behörde ({names}); bitte je "
                "Behörde eine Anfrage senden.",
                f"Parcel {index + 1} lies in another authority's register ({names}); please send one "
                "request per authority.",
                code="baulasten-parcel-elsewhere",
                extra={"parcel": index},
            )
    return next(iter(keepers.values()))


def anfrage_check(data: AnfrageData) -> None:
    """Business rules the permissive XSD does not enforce (parcels are checked by resolve_parcels)."""
    if not data.interest_text:
        raise MessageRejected(
            "Das berechtigte Interesse ist nicht beschrieben (berechtigtesInteresse/beschreibung).",
            "The legitimate interest is not described (berechtigtesInteresse/beschreibung).",
            code="xbau-interest-missing",
        )
    if len(data.interest_text) > 2000:
        raise MessageRejected(
            "Die Beschreibung des berechtigten Interesses ist länger als 2000 Zeichen.",
            "The description of the legitimate interest exceeds 2000 characters.",
            code="xbau-interest-too-long",
        )


@dataclass
class Received:
    message: XBauMessage
    created: bool  # False: the same message UUID was received before (same case)


def anfrage_receive(*, xml: bytes, sender: Any, assurance: Any) -> Received:
    """Receive a 0710 from ``sender`` (the applicant account): parse safely, validate against the XSD
    (400 with the schema errors), check the business rules (422), file the Auskunft through
    ``intake.auskunft_file`` (channel "xbau") and store the message. A message UUID received before
    returns the stored message and its case (a resent message is not a second request)."""
    from .intake import CHANNEL_XBAU, auskunft_file

    tree = parse_untrusted(xml)
    if message_type_of(tree) != MSG_0710:
        raise MessageMalformed(
            f"Angenommen wird nur {MESSAGES[MSG_0710][0]}.",
            f"Only {MESSAGES[MSG_0710][0]} is accepted.",
            code="xbau-unexpected-message",
        )
    errors = validate_tree(tree, MSG_0710)
    if errors:
        raise _refuse_invalid(errors)
    data = parse_anfrage_0710(tree)
    existing = XBauMessage.objects.filter(uuid=data.uuid).select_related("case").first()
    if existing is not None:
        return _same_message(existing, sender)
    anfrage_check(data)
    parcels = resolve_parcels(data.parcels)
    keeper = keeper_for(parcels)
    try:
        with transaction.atomic():
            case = auskunft_file(
                applicant=sender,
                authority=keeper,
                parcels=parcels,
                interest=data.interest_category,
                reason=data.interest_text,
                channel=CHANNEL_XBAU,
                assurance=assurance,
            )
            message = XBauMessage.objects.create(
                direction=XBauMessage.Direction.IN,
                message_type=MSG_0710,
                uuid=data.uuid,
                authority=keeper,
                case=case,
                sender=sender,
                xml=xml.decode("utf-8"),
            )
    except IntegrityError:
        # A concurrent delivery of the same message won the unique UUID: answer with its case.
        existing = XBauMessage.objects.filter(uuid=data.uuid).select_related("case").first()
        if existing is None:
            raise
        return _same_message(existing, sender)
    logger.info("xbau 0710 %s received: case %s", data.uuid, case.pk)
    return Received(message=message, created=True)


def _same_message(existing: XBauMessage, sender: Any) -> Received:
    if existing.direction != XBauMessage.Direction.IN or existing.sender_id != getattr(sender, "pk", None):
        raise MessageRejected(
            "Diese Nachrichten-UUID ist bereits vergeben.",
            "This message UUID is already taken.",
            status_code=409,
            code="xbau-uuid-taken",
        )
    return Received(message=existing, created=False)


# --- producing -------------------------------------------------------------------------------------


def _sub(parent: etree._Element, tag: str, text: object | None = None, **attrs: str | None) -> etree._Element:
    node = etree.SubElement(parent, tag, {k: v for k, v in attrs.items() if v is not None})
    if text is not None:
        node.text = str(text)
    return node


def _code(
    parent: etree._Element, tag: str, value: str, list_uri: str | None = None, version: str | None = None
) -> etree._Element:
    node = _sub(parent, tag, listURI=list_uri, listVersionID=version)
    _sub(node, "code", value)
    return node


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).replace(microsecond=0).isoformat()


def _root(message: str) -> etree._Element:
    return etree.Element(
        _q(MESSAGES[message][0]),
        nsmap=NSMAP,
        produkt=settings.XBAU_PRODUCT,
        produkthersteller=settings.XBAU_MANUFACTURER,
        standard="XBau-Hochbau",
        version="2.6",
    )


def authority_party(authority: Authority) -> Party:
    # No DVDV registration is recorded for the authorities yet: the AGS identifies them.
    return Party(kennung=f"ags:{authority.ags}", name=authority.name[:200])


PORTAL_PARTY = Party(kennung="amtsweg:portal", name="Amtsweg Antragsportal")


def _party_node(parent: etree._Element, tag: str, party: Party) -> None:
    node = _sub(parent, tag)
    _code(node, "verzeichnisdienst", party.directory, version=party.directory_version)
    _sub(node, "kennung", party.kennung)
    _sub(node, "name", party.name)


def _head(
    root: etree._Element,
    message: str,
    message_uuid: uuid.UUID,
    created: dt.datetime,
    reader: Party,
    author: Party,
) -> None:
    head = _sub(root, "nachrichtenkopf.g2g")
    ident = _sub(head, "identifikation.nachricht")
    _sub(ident, "nachrichtenUUID", str(message_uuid))
    _code(ident, "nachrichtentyp", message, *LIST_NACHRICHTEN)
    _sub(ident, "erstellungszeitpunkt", _iso(created))
    _party_node(head, "leser", reader)
    _party_node(head, "autor", author)


def _flurstueck(parent: etree._Element, tag: str, kennzeichen: str, location: str = "") -> None:
    parts = flurstueck.parse(kennzeichen)
    grundstueck = _sub(parent, tag)
    if location:
        anschrift = _sub(grundstueck, _q("anschrift"))
        _sub(anschrift, "strasse", location[:100])
    node = _sub(grundstueck, _q("flurstueck"))
    _code(node, "bundesland", parts.land, version=BUNDESLAND_LIST_VERSION)
    kod = _sub(node, "kodierungFlurstueck")
    _sub(_sub(kod, "gemarkung"), "nummer", parts.gemarkung)
    if parts.flur is not None:
        _sub(kod, "flur", parts.flur)
    _sub(kod, "zaehler", parts.zaehler)
    if parts.nenner is not None:
        _sub(kod, "nenner", parts.nenner)
    if parts.folge is not None:
        _sub(kod, "folge", parts.folge)


def entry_uuid(entry_id: int, authority_ags: str) -> uuid.UUID:
    """A stable UUID for an entry (the register numbers entries per sheet, XBau wants a UUID)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"https://amtsweg.de/baulasten/{authority_ags}/{entry_id}")


def _textabsatz(parent: etree._Element, tag: str, text: str) -> None:
    node = _sub(parent, tag)
    for paragraph in [p.strip() for p in text.split("\n") if p.strip()] or [text]:
        _sub(node, "textabsatz", paragraph)


def _baulast(
    parent: etree._Element,
    tag: str,
    *,
    entry_id: uuid.UUID,
    kind: str,
    text: str,
    parcels: Iterable[tuple[str, str, str]],  # (role, kennzeichen, location)
    number: str | None,
) -> None:
    node = _sub(parent, tag)
    _sub(node, _q("id"), str(entry_id))
    links = list(parcels)
    if links:
        grundstuecke = _sub(node, _q("beteiligteGrundstuecke"))
        for role, tag_name in (
            (BaulastParcel.Role.BURDENED, "belastetesGrundstueck"),
            (BaulastParcel.Role.BENEFITING, "beguenstigtesGrundstueck"),
        ):
            for link_role, kennzeichen, location in links:
                if link_role == role:
                    _flurstueck(grundstuecke, _q(tag_name), kennzeichen, location)
    erklaerung = _sub(node, _q("erklaerung"))
    _textabsatz(erklaerung, _q("beschreibung"), text)
    _code(node, _q("artDerBaulast"), kind, *LIST_ART_DER_BAULAST)
    if number is not None:
        _sub(node, _q("baulastnummer"), number)


def _entry_parcels(entry: Baulast) -> list[tuple[str, str, str]]:
    return [
        (link.role, link.parcel.kennzeichen, link.parcel.location)
        for link in entry.parcel_links.select_related("parcel").order_by("role", "parcel__kennzeichen")
    ]


def _finish(root: etree._Element, message: str) -> bytes:
    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    errors = validate_tree(etree.fromstring(data).getroottree(), message)
    if errors:
        logger.error(
            "produced XBau %s does not validate: %s",
            message,
            "; ".join(f"line {e.line}: {e.message}" for e in errors[:5]),
        )
        raise ProducedInvalid(f"XBau {message} invalid: line {errors[0].line}: {errors[0].message}")
    return data


def build_eintragung_0703(
    baulast: Baulast, *, message_uuid: uuid.UUID | None = None, now: dt.datetime | None = None
) -> bytes:
    """``baulasten.eintragung.0703`` for ``baulast``. The obligors are not sent (they are a free text
    in the register, not split into the XBau person structure)."""
    authority = baulast.authority
    root = _root(MSG_0703)
    _head(
        root,
        MSG_0703,
        message_uuid or uuid.uuid4(),
        now or timezone.now(),
        PORTAL_PARTY,
        authority_party(authority),
    )
    bezug = _sub(root, _q("bezug"))
    _sub(
        bezug,
        "vorgang",
        baulast.file_reference or f"Baulastenblatt {baulast.sheet} lfd. Nr. {baulast.number}",
    )
    text = (
        f"Baulastenblatt {baulast.sheet}, lfd. Nr. {baulast.number}, "
        f"eingetragen am {baulast.entered_on:%d.%m.%Y}.\n{baulast.text}"
    )
    if baulast.deleted_on:
        text += f"\nGelöscht am {baulast.deleted_on:%d.%m.%Y}."
    _baulast(
        root,
        _q("baulast"),
        entry_id=entry_uuid(baulast.pk, authority.ags),
        kind=baulast.kind,
        text=text,
        parcels=_entry_parcels(baulast),
        number=None,  # xbau:Baulast has no baulastnummer (only BaulastErweitert of the 0713)
    )
    return _finish(root, MSG_0703)


def _reply_header(reply_to: XBauMessage | None) -> tuple[Party, dt.datetime | None]:
    if reply_to is None:
        return PORTAL_PARTY, None
    tree = etree.fromstring(reply_to.xml.encode(), etree.XMLParser(resolve_entities=False, no_network=True))
    head = tree.find("nachrichtenkopf.g2g")
    author = _party(head.find("autor")) if head is not None else None
    created = _created(_text(head, "identifikation.nachricht/erstellungszeitpunkt"))
    return author or PORTAL_PARTY, created


def _extract_for(request: AuskunftRequest, parcel: AuskunftParcel) -> list[dict[str, Any]] | None:
    """The entries the decision snapshot holds for ``parcel`` (None when the snapshot has no row
    for it). Read tolerantly: rows are matched by position or by Flurstückskennzeichen."""
    for row in request.extract or []:
        if not isinstance(row, dict):
            continue
        if row.get("position") == parcel.position or row.get("kennzeichen") == parcel.kennzeichen:
            entries = row.get("entries")
            return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []
    return None


def _live_entries(request: AuskunftRequest, parcel: AuskunftParcel) -> list[dict[str, Any]]:
    if parcel.parcel_id is None:
        return []
    entries = Baulast.objects.filter(
        register_id=request.register_id,
        deleted_on__isnull=True,
        parcel_links__parcel_id=parcel.parcel_id,
        parcel_links__role=BaulastParcel.Role.BURDENED,
    ).distinct()
    return [
        {"id": e.pk, "sheet": e.sheet, "number": e.number, "kind": e.kind, "text": e.text}
        for e in entries.order_by("sheet", "number")
    ]


def auskunft_result_code(
    request: AuskunftRequest, parcel: AuskunftParcel, entries: list[dict[str, Any]]
) -> str:
    if request.decision == AuskunftRequest.Decision.REFUSED:
        return RESULT_NO_INTEREST
    if parcel.result == AuskunftParcel.Result.UNKNOWN_PARCEL:
        return RESULT_WRONG_PARCEL
    if parcel.result == AuskunftParcel.Result.ENTRIES or entries:
        return RESULT_BURDENED
    return RESULT_NOT_BURDENED


def build_auskunft_0713(
    request: AuskunftRequest,
    *,
    reply_to: XBauMessage | None,
    message_uuid: uuid.UUID | None = None,
    now: dt.datetime | None = None,
) -> bytes:
    """``baulastenverzeichnis.auskunft.0713`` for a decided request: one ``ergebnis/grundstueck`` per
    requested parcel with its baulastErgebnis (1 burdened with the entries as baulastDaten, 3 not
    burdened, 4 no legitimate interest, 5 wrong parcel) and the bezug to the 0710 it answers."""
    if request.decision == AuskunftRequest.Decision.PENDING:
        raise Problem(
            "Über die Auskunft ist noch nicht entschieden.",
            "The request has not been decided yet.",
            status_code=409,
            code="xbau-not-decided",
        )
    authority = request.authority
    reader, request_created = _reply_header(reply_to)
    root = _root(MSG_0713)
    _head(
        root,
        MSG_0713,
        message_uuid or uuid.uuid4(),
        now or timezone.now(),
        reader,
        authority_party(authority),
    )
    bezug = _sub(root, _q("bezug"))
    _sub(bezug, "vorgang", request.case.reference)
    if reply_to is not None:
        ref = _sub(bezug, "bezugNachricht")
        _sub(ref, f"{{{G2G}}}nachrichtenUUID", str(reply_to.uuid))
        _code(ref, f"{{{G2G}}}nachrichtentyp", MSG_0710, *LIST_NACHRICHTEN)
        _sub(ref, f"{{{G2G}}}erstellungszeitpunkt", _iso(request_created or reply_to.created_at))
    ergebnis = _sub(root, _q("ergebnis"))
    entry_links: dict[int, list[tuple[str, str, str]]] = {}
    for parcel in request.parcels.select_related("parcel").order_by("position"):
        snapshot = _extract_for(request, parcel)
        entries = (
            []
            if request.decision == AuskunftRequest.Decision.REFUSED
            else (snapshot if snapshot is not None else _live_entries(request, parcel))
        )
        code = auskunft_result_code(request, parcel, entries)
        grundstueck = _sub(ergebnis, _q("grundstueck"))
        location = parcel.parcel.location if parcel.parcel is not None else ""
        _flurstueck(grundstueck, _q("angabeGrundstueck"), parcel.kennzeichen, location)
        _code(grundstueck, _q("baulastErgebnis"), code)
        if code != RESULT_BURDENED:
            continue
        for entry in entries:
            entry_id = entry.get("id")
            links: list[tuple[str, str, str]] = []
            if isinstance(entry_id, int):
                if entry_id not in entry_links:
                    found = Baulast.objects.filter(pk=entry_id, register_id=request.register_id).first()
                    entry_links[entry_id] = _entry_parcels(found) if found is not None else []
                links = entry_links[entry_id]
            identity = (
                entry_uuid(entry_id, authority.ags)
                if isinstance(entry_id, int)
                else uuid.uuid5(
                    uuid.NAMESPACE_URL,
                    f"https://amtsweg.de/baulasten/{authority.ags}/{entry.get('sheet')}/{entry.get('number')}",
                )
            )
            _baulast(
                grundstueck,
                _q("baulastDaten"),
                entry_id=identity,
                kind=str(entry.get("kind") or "sonstige"),
                text=str(entry.get("text") or ""),
                parcels=links,
                number=f"Baulastenblatt {entry.get('sheet')} lfd. Nr. {entry.get('number')}",
            )
    return _finish(root, MSG_0713)


def auskunft_message(*, request: AuskunftRequest) -> XBauMessage:
    """The 0713 answering ``request`` (built, validated and stored once; later calls return the stored
    one, so the answer keeps its UUID). 409 while the request is undecided."""
    existing = (
        XBauMessage.objects.filter(
            case_id=request.case_id, direction=XBauMessage.Direction.OUT, message_type=MSG_0713
        )
        .order_by("created_at")
        .first()
    )
    if existing is not None:
        return existing
    reply_to = (
        XBauMessage.objects.filter(
            case_id=request.case_id, direction=XBauMessage.Direction.IN, message_type=MSG_0710
        )
        .order_by("created_at")
        .first()
    )
    message_uuid = uuid.uuid4()
    xml = build_auskunft_0713(request, reply_to=reply_to, message_uuid=message_uuid)
    with transaction.atomic():
        # Serialise concurrent first reads of the same answer on the request row.
        AuskunftRequest.objects.select_for_update().filter(pk=request.pk).first()
        existing = XBauMessage.objects.filter(
            case_id=request.case_id, direction=XBauMessage.Direction.OUT, message_type=MSG_0713
        ).first()
        if existing is not None:
            return existing
        return XBauMessage.objects.create(
            direction=XBauMessage.Direction.OUT,
            message_type=MSG_0713,
            uuid=message_uuid,
            authority=request.authority,
            case=request.case,
            in_reply_to=reply_to,
            xml=xml.decode("utf-8"),
        )


def eintragung_message(*, baulast: Baulast, actor: Any) -> XBauMessage:
    """A 0703 for ``baulast`` as it is now, stored as sent (every download is a new message: the entry
    may have changed since)."""
    message_uuid = uuid.uuid4()
    xml = build_eintragung_0703(baulast, message_uuid=message_uuid)
    return XBauMessage.objects.create(
        direction=XBauMessage.Direction.OUT,
        message_type=MSG_0703,
        uuid=message_uuid,
        authority=baulast.authority,
        baulast=baulast,
        sender=actor,
        xml=xml.decode("utf-8"),
    )
