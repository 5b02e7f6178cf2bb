"""Build XBau 2.6 messages in tests the way a professional's software sends them (structure of the
validated sample in the research notes): a ``baulastenverzeichnis.anfrage.0710``, variants for the
negative cases, and helpers to read our answers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from lxml import etree

from ..xbau import G2G, XBAU

NSMAP = {"xbau": XBAU, "bn-g2g": G2G}


def q(tag: str) -> str:
    return f"{{{XBAU}}}{tag}"


def sub(parent: etree._Element, tag: str, text: object = None, **attrs: str) -> etree._Element:
    node = etree.SubElement(parent, tag, attrs)
    if text is not None:
        node.text = str(text)
    return node


def code(parent: etree._Element, tag: str, value: str, **attrs: str) -> etree._Element:
    node = sub(parent, tag, **attrs)
    sub(node, "code", value)
    return node


@dataclass
class P:
    """A parcel as a 0710 names it: Gemarkung number or name (exactly one), Flur, Zähler, Nenner."""

    number: str | None = "3359"
    name: str | None = None
    flur: str | None = "3"
    zaehler: str | None = "119"
    nenner: str | None = "2"


def anfrage_0710(
    *,
    message_uuid: str | None = None,
    parcels: list[P] | None = None,
    interest: str | None = "Notarielle Beurkundung eines Kaufvertrags über das Flurstück.",
    role_text: str | None = "Notarin",
    created: str = "2026-07-01T10:00:00+02:00",
) -> etree._Element:
    root = etree.Element(
        q("baulastenverzeichnis.anfrage.0710"),
        nsmap=NSMAP,
        produkt="Notarsoftware",
        produkthersteller="Beispiel GmbH",
        standard="XBau-Hochbau",
        version="2.6",
    )
    head = sub(root, "nachrichtenkopf.g2g")
    ident = sub(head, "identifikation.nachricht")
    sub(ident, "nachrichtenUUID", message_uuid or str(uuid.uuid4()))
    code(
        ident,
        "nachrichtentyp",
        "0710",
        listURI="urn:xoev-de:xbau:codeliste:xbau-nachrichten",
        listVersionID="4.0",
    )
    sub(ident, "erstellungszeitpunkt", created)
    for tag, kennung, name in (
        ("leser", "ags:05162024", "Stadt Neuss"),
        ("autor", "psw:11111111", "Notariat Beispiel"),
    ):
        node = sub(head, tag)
        code(node, "verzeichnisdienst", "DVDV", listVersionID="2")
        sub(node, "kennung", kennung)
        sub(node, "name", name)
    ref = sub(root, q("referenzAntragsservice"))
    sub(ref, "referenzAntragsservice", str(uuid.uuid4()))
    applicant = sub(root, q("antragsteller"))
    organisation = sub(applicant, "organisation")
    sub(sub(organisation, "name"), "name", "Notariat Beispiel")
    if role_text is not None:
        sub(sub(root, q("rolleAntragsteller")), q("nichtGelisteterWert"), role_text)
    angaben = sub(root, q("angabenGrundstuecke"))
    for parcel in parcels if parcels is not None else [P()]:
        grundstueck = sub(angaben, q("grundstueck"))
        fs = sub(grundstueck, q("flurstueck"))
        code(fs, "bundesland", "05", listVersionID="2010-04-01")
        kod = sub(fs, "kodierungFlurstueck")
        gem = sub(kod, "gemarkung")
        if parcel.number is not None:
            sub(gem, "nummer", parcel.number)
        if parcel.name is not None:
            sub(gem, "bezeichnung", parcel.name)
        for tag in ("flur", "zaehler", "nenner"):
            value = getattr(parcel, tag)
            if value is not None:
                sub(kod, tag, value)
        code(grundstueck, q("artBaulastauskunft"), "02")
    if interest is not None:
        bi = sub(root, q("berechtigtesInteresse"))
        sub(bi, q("beschreibung"), interest)
    return root


def to_bytes(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def results_of(xml: bytes | str) -> list[tuple[str, str, int]]:
    """Per parcel of a 0713: (Gemarkung/Flur/Zähler/Nenner, baulastErgebnis, number of baulastDaten)."""
    root = etree.fromstring(xml.encode() if isinstance(xml, str) else xml)
    rows = []
    for grundstueck in root.iterfind(f"{q('ergebnis')}/{q('grundstueck')}"):
        kod = grundstueck.find(f"{q('angabeGrundstueck')}/{q('flurstueck')}/kodierungFlurstueck")
        assert kod is not None
        key = "/".join(kod.findtext(t) or "" for t in ("gemarkung/nummer", "flur", "zaehler", "nenner"))
        result = grundstueck.findtext(f"{q('baulastErgebnis')}/code") or ""
        rows.append((key, result, len(grundstueck.findall(q("baulastDaten")))))
    return rows
