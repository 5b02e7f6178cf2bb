"""The executable shared BPMN files, and our own model, run to completion with their tasks completed
through the staff API; the files that cannot run are imported as documentation with a clear reason."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.db import transaction
from django.test import Client
from django.utils import timezone

from amtsweg.cases.models import Submission
from amtsweg.testing import World, shared_data

from ..models import ProcessInstance, ProcessTask, ProcessVersion
from ..services import process_start, process_timers_fire, process_version_import, process_version_publish
from .factories import running_case

pytestmark = pytest.mark.django_db

# file -> (called files, variables the API client sends with every task, expected executable)
SHARED: dict[str, tuple[list[str], dict[str, object], bool]] = {
    "camunda_job-announcement.bpmn": (
        ["camunda_job-announcement-publication.bpmn"],
        {"approved": True, "twitter": True, "facebook": False},
        True,
    ),
    "camunda_job-announcement-publication.bpmn": ([], {"twitter": False, "facebook": True}, True),
    "muenchen_usertask-process.bpmn": ([], {}, True),
    "muenchen_VorgangAnlegenV02.bpmn": ([], {"dms_sachakte_coo": "COO.1"}, True),
    "camunda_loan-granting.bpmn": ([], {}, False),
    "muenchen_AntragDVMoHo.bpmn": ([], {}, False),
    "bpmn-moddle_yaoqiang-event-definitions.bpmn": ([], {}, False),
}


START = {"muenchen_usertask-process.bpmn": {"FORMFIELD_NumberOfTasks": 1, "FORMFIELD_User": "x"}}


def test_every_shared_file_is_listed() -> None:
    folder = shared_data("bpmn")
    assert {p.name for p in Path(folder).glob("*.bpmn")} == set(SHARED)


def complete_all(client: Client, case_id: int, variables: dict[str, object]) -> None:
    for _ in range(40):
        tasks = client.get("/api/v1/staff/tasks").json()
        mine = [t for t in tasks if t["case"] == case_id]
        if not mine:
            return
        response = client.post(
            f"/api/v1/staff/tasks/{mine[0]['id']}/complete",
            {"data": variables},
            content_type="application/json",
        )
        assert response.status_code == 200, response.content


def api(world: World) -> Client:
    client = Client()
    client.force_login(world.caseworker_neuss)
    return client


@pytest.mark.parametrize("filename", sorted(SHARED))
def test_shared_file_imports_and_runs_or_says_why(world: World, filename: str) -> None:
    called, variables, executable = SHARED[filename]
    xml = shared_data(f"bpmn/{filename}").read_bytes()
    supporting = [(name, shared_data(f"bpmn/{name}").read_bytes()) for name in called]
    version = process_version_import(
        service=world.town_service,
        authority=None,
        xml=xml,
        filename=filename,
        actor=None,
        supporting=supporting,
    )
    assert version.parsed.has_diagram
    assert version.executable is executable, version.execution_problems
    if not executable:
        assert version.execution_problems
        for problem in version.execution_problems:
            assert problem["de"] and problem["en"]
        return
    case = running_case(world)  # submitted before the model is published: no process yet
    assert not ProcessInstance.objects.filter(case=case).exists()
    process_version_publish(version=version, actor=None)
    # Camunda models read start-form variables; here they come with the applicant's answers.
    Submission.objects.filter(case=case).update(
        data={**(case.submission.data if case.submission else {}), **START.get(filename, {})}
    )
    case.refresh_from_db()
    with transaction.atomic():
        process_start(case=case, actor=None, channel="api")
    client = api(world)
    complete_all(client, case.pk, variables)
    instance = ProcessInstance.objects.get(case=case)
    if instance.status == "running":
        # What still waits is a timer (e.g. an event sub-process "1 hour passed"): the worker fires it.
        with time_machine.travel(timezone.now() + timedelta(days=31), tick=False):
            assert process_timers_fire() == 1
            client.force_login(world.caseworker_neuss)  # the earlier session has expired by then
            complete_all(client, case.pk, variables)
        instance.refresh_from_db()
    assert instance.status == "completed", list(
        ProcessTask.objects.filter(case=case, state__in=["open", "waiting"]).values_list("bpmn_id", "kind")
    )


def test_import_through_the_api_needs_the_right_and_names_errors(world: World) -> None:
    client = api(world)
    xml = (
        b"<bpmn:definitions xmlns:bpmn='http://www.omg.org/spec/BPMN/20100524/MODEL'>"
        b"<bpmn:process id='p'/></bpmn:definitions>"
    )
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("p.bpmn", xml, content_type="application/xml")
    response = client.post(
        "/api/v1/staff/processes", {"service": world.town_service.leika_key, "file": upload}
    )
    assert response.status_code == 403  # a caseworker changes no process models
    admin = Client()
    admin.force_login(world.admin_neuss)
    upload = SimpleUploadedFile("p.bpmn", xml, content_type="application/xml")
    response = admin.post(
        "/api/v1/staff/processes",
        {"service": world.town_service.leika_key, "authority": world.neuss.ags, "file": upload},
    )
    assert response.status_code == 422
    assert "Startereignis" in response.json()["detail"] or "start event" in response.json()["detail"]
    assert response.json()["element"] == "p"
    assert not ProcessVersion.objects.exists()


def test_import_bpmn_command(world: World, tmp_path: Path) -> None:
    from io import StringIO

    from django.core.management import CommandError, call_command

    from .factories import HERE

    out = StringIO()
    call_command(
        "import_bpmn",
        str(HERE / "review.bpmn"),
        service=world.town_service.leika_key,
        authority=world.neuss.ags,
        publish=True,
        stdout=out,
    )
    assert "published" in out.getvalue()
    assert ProcessVersion.objects.get().status == "published"
    broken = tmp_path / "broken.bpmn"
    broken.write_bytes(b"<bpmn:definitions xmlns:bpmn='http://www.omg.org/spec/BPMN/20100524/MODEL'>")
    with pytest.raises(CommandError, match="line"):
        call_command("import_bpmn", str(broken), service=world.town_service.leika_key)
    with pytest.raises(CommandError, match="unknown service"):
        call_command("import_bpmn", str(HERE / "review.bpmn"), service="00000000000000")
