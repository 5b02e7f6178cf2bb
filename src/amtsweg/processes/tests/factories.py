"""Process models and running cases for the processes tests."""

from __future__ import annotations

from pathlib import Path

from amtsweg.cases.models import Case
from amtsweg.cases.tests.factories import submit_case
from amtsweg.testing import World

from ..models import ProcessVersion
from ..services import process_version_import, process_version_publish

HERE = Path(__file__).parent / "data"


def publish_model(
    world: World,
    xml: bytes,
    *,
    filename: str = "model.bpmn",
    supporting: list[tuple[str, bytes]] | None = None,
    for_neuss: bool = False,
) -> ProcessVersion:
    version = process_version_import(
        service=world.town_service,
        authority=world.neuss if for_neuss else None,
        xml=xml,
        filename=filename,
        actor=None,
        supporting=supporting or [],
    )
    assert version.executable, version.execution_problems
    return process_version_publish(version=version, actor=None)


def model(name: str) -> bytes:
    return (HERE / name).read_bytes()


def running_case(world: World, **kwargs: object) -> Case:
    return submit_case(world, **kwargs)  # type: ignore[arg-type]
