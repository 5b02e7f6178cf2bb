"""The event log of a service: traces in the defined order, only readable cases, chunked reads, and the
XES (validated against the IEEE 1849-2016 schema and parsed back) and CSV (RFC 4180) serialisations."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from lxml import etree

from amtsweg.processes.eventlog import (
    CSV_COLUMNS,
    LogFilter,
    case_traces,
    csv_stream,
    process_analysis,
    xes_stream,
)
from amtsweg.processes.models import ProcessTask
from amtsweg.testing import World

from .factories_analytics import HAPPY, SKIPS_ISSUE, T0, WITH_REQUEST, event_case, model_version

XSD = etree.XMLSchema(etree.parse(str(Path(__file__).parent / "analytics_xes.xsd")))
NS = {"x": "http://www.xes-standard.org/"}


def _xes(world: World, user: object, **filters: object) -> etree._Element:
    traces = case_traces(user=user, log_filter=LogFilter(service=world.town_service, **filters))  # type: ignore[arg-type]
    document = b"".join(xes_stream(traces, service=world.town_service))
    root = etree.fromstring(document)
    XSD.assertValid(root)
    return root


def test_trace_is_the_activities_in_completion_order(world: World) -> None:
    version = model_version(world)
    case = event_case(world, version=version, path=WITH_REQUEST)
    (trace,) = case_traces(user=world.caseworker_neuss, log_filter=LogFilter(service=world.town_service))
    assert trace.reference == case.reference
    assert trace.activities == ("Pruefen", "Nachfordern", "Pruefen", "Ausstellen", "Versenden")
    assert trace.finished and trace.version_id == version.pk and trace.authority == "05162024"


def test_cancelled_steps_are_not_part_of_the_trace(world: World) -> None:
    case = event_case(world, version=model_version(world), path=HAPPY)
    ProcessTask.objects.filter(case=case, bpmn_id="Ausstellen").update(state=ProcessTask.State.CANCELLED)
    (trace,) = case_traces(user=world.caseworker_neuss, log_filter=LogFilter(service=world.town_service))
    assert trace.activities == ("Pruefen", "Versenden")


def test_log_holds_only_cases_the_user_may_read(world: World) -> None:
    version = model_version(world)
    neuss = event_case(world, version=version, path=HAPPY)
    dormagen = event_case(world, version=version, path=HAPPY, authority=world.dormagen)
    log = LogFilter(service=world.town_service)

    def refs(user: object) -> set[str]:
        return {t.reference for t in case_traces(user=user, log_filter=log)}  # type: ignore[arg-type]

    assert refs(world.caseworker_neuss) == {neuss.reference}
    assert refs(world.caseworker_dormagen) == {dormagen.reference}
    assert refs(world.kreis_admin) == {neuss.reference, dormagen.reference}
    assert refs(world.citizen) == set()
    # a filter for another town never widens the scope
    assert not list(
        case_traces(
            user=world.caseworker_neuss, log_filter=LogFilter(world.town_service, authority=world.dormagen)
        )
    )


def test_filters_by_period_version_and_authority(world: World) -> None:
    first = model_version(world)
    second = model_version(world, world.neuss)
    march = event_case(world, version=first, path=HAPPY, submitted=T0)
    april = event_case(world, version=second, path=HAPPY, submitted=T0 + timedelta(days=31))
    dormagen = event_case(world, version=first, path=HAPPY, authority=world.dormagen)
    admin = world.kreis_admin

    def refs(**filters: object) -> set[str]:
        log = LogFilter(service=world.town_service, **filters)  # type: ignore[arg-type]
        return {t.reference for t in case_traces(user=admin, log_filter=log)}

    assert refs(date_from=date(2026, 4, 1)) == {april.reference}
    assert refs(date_to=date(2026, 3, 2)) == {march.reference, dormagen.reference}  # the whole last day
    assert refs(date_from=date(2026, 3, 3), date_to=date(2026, 3, 31)) == set()
    assert refs(version_id=second.pk) == {april.reference}
    assert refs(authority=world.dormagen) == {dormagen.reference}


def test_log_is_read_in_chunks_with_two_queries_each(world: World) -> None:
    version = model_version(world)
    references = [event_case(world, version=version, path=HAPPY).reference for _ in range(5)]
    log = LogFilter(service=world.town_service)
    world.caseworker_neuss.refresh_from_db()  # no cached scope
    traces = case_traces(user=world.caseworker_neuss, log_filter=log, chunk_size=2)
    with CaptureQueriesContext(connection) as queries:
        first = next(traces)
    reads = len(queries)  # the user's authorities, the first chunk's cases and their tasks
    with CaptureQueriesContext(connection) as queries:
        rest = list(traces)
    assert [first.reference, *(t.reference for t in rest)] == references
    # chunks of 2: [1, 2] [3, 4] [5] → two more chunks with two queries each
    assert len(queries) == 4, [q["sql"] for q in queries.captured_queries]
    assert reads <= 4


def test_xes_is_valid_and_parses_back(world: World) -> None:
    version = model_version(world)
    case = event_case(world, version=version, path=WITH_REQUEST)
    event_case(world, version=version, path=HAPPY[:2], finished=False, open_last=True)
    root = _xes(world, world.caseworker_neuss)
    assert root.get("xes.version") == "1849-2016"
    assert {e.get("prefix") for e in root.findall("x:extension", NS)} == {
        "concept",
        "time",
        "lifecycle",
        "org",
    }
    traces = root.findall("x:trace", NS)
    assert len(traces) == 2
    trace = traces[0]
    assert trace.find("x:string[@key='concept:name']", NS).get("value") == case.reference  # type: ignore[union-attr]
    events = [
        (
            e.find("x:string[@key='activity_id']", NS).get("value"),  # type: ignore[union-attr]
            e.find("x:string[@key='lifecycle:transition']", NS).get("value"),  # type: ignore[union-attr]
            datetime.fromisoformat(e.find("x:date[@key='time:timestamp']", NS).get("value")),  # type: ignore[union-attr,arg-type]
        )
        for e in trace.findall("x:event", NS)
    ]
    assert events[:4] == [
        ("Pruefen", "schedule", T0),
        ("Pruefen", "start", T0 + timedelta(minutes=30)),
        ("Pruefen", "complete", T0 + timedelta(hours=1, minutes=30)),
        ("Nachfordern", "start", T0 + timedelta(hours=3, minutes=30)),
    ]
    assert [t for _, _, t in events] == sorted(t for _, _, t in events)
    assert all(t.utcoffset() is not None for _, _, t in events)
    assert len([e for e in events if e[1] == "complete"]) == 5
    names = {e.find("x:string[@key='concept:name']", NS).get("value") for e in trace.findall("x:event", NS)}  # type: ignore[union-attr]
    assert "Antrag prüfen" in names
    groups = {g.get("value") for g in trace.iterfind(".//x:string[@key='org:group']", NS)}
    assert groups == {"Bürgerservice"}
    # the running case: its open task is scheduled, not complete
    running = [
        e.find("x:string[@key='lifecycle:transition']", NS).get("value")  # type: ignore[union-attr]
        for e in traces[1].findall("x:event", NS)
    ]
    assert running == ["schedule"]


def test_xes_carries_no_personal_data(world: World) -> None:
    event_case(world, version=model_version(world), path=HAPPY)
    document = etree.tostring(_xes(world, world.caseworker_neuss), encoding="unicode")
    for personal in ("Clara", "Citizen", "clara@example.org", "Nora", "nora@neuss.example", "1990-04-01"):
        assert personal not in document


def test_xes_escapes_markup_and_drops_invalid_characters(world: World) -> None:
    case = event_case(world, version=model_version(world), path=HAPPY)
    ProcessTask.objects.filter(case=case, bpmn_id="Pruefen").update(
        name='Prüfen <&> "quoted"\x07\nzweite Zeile'
    )
    root = _xes(world, world.caseworker_neuss)
    names = [e.get("value") for e in root.iterfind(".//x:event/x:string[@key='concept:name']", NS)]
    assert 'Prüfen <&> "quoted"\nzweite Zeile' in names


def test_empty_log_is_a_valid_document(world: World) -> None:
    root = _xes(world, world.caseworker_neuss)
    assert root.findall("x:trace", NS) == []


def test_csv_follows_rfc_4180(world: World) -> None:
    case = event_case(world, version=model_version(world), path=HAPPY)
    ProcessTask.objects.filter(case=case, bpmn_id="Ausstellen").update(name='Ausstellen, "sofort"')
    ProcessTask.objects.filter(case=case, bpmn_id="Versenden").update(name="=HYPERLINK(1)")
    traces = case_traces(user=world.caseworker_neuss, log_filter=LogFilter(service=world.town_service))
    data = b"".join(csv_stream(traces))
    text = data.decode("utf-8")
    assert text.endswith("\r\n") and "\r\n" in text and "\n" not in text.replace("\r\n", "")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert tuple(rows[0]) == CSV_COLUMNS
    body = rows[1:]
    assert {r[0] for r in body} == {case.reference}
    assert {r[6] for r in body} == {"05162024"}
    assert body[5][1:4] == ['Ausstellen, "sofort"', "Ausstellen", "complete"]
    assert '"Ausstellen, ""sofort"""' in text  # quotes doubled inside a quoted field
    assert "'=HYPERLINK(1)" in {r[1] for r in body}  # no formula for spreadsheet programs
    for row in body:
        datetime.fromisoformat(row[4])
    assert [r[3] for r in body if r[2] == "Pruefen"] == ["schedule", "start", "complete"]


@pytest.mark.parametrize("chunk_size", [1, 3, 500])
def test_analysis_does_not_depend_on_chunking(world: World, chunk_size: int) -> None:
    version = model_version(world)
    for path in (HAPPY, HAPPY, WITH_REQUEST, SKIPS_ISSUE):
        event_case(world, version=version, path=path)
    analysis = process_analysis(
        user=world.caseworker_neuss, log_filter=LogFilter(service=world.town_service), chunk_size=chunk_size
    )
    assert analysis.dfg.cases == 4
    assert analysis.dfg.edges[("Pruefen", "Ausstellen")] == 3
    assert [v.count for v in analysis.variants] == [2, 1, 1]
    assert analysis.conformance.fitting == 3
    assert analysis.conformance.per_activity == {("Ausstellen", "skipped"): 1}
    assert analysis.label("Pruefen") == "Antrag prüfen"
