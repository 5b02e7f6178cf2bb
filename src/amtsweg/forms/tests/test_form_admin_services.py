"""Form definition services and selectors: versions, publishing, who may change what, which form applies."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from amtsweg.core.problems import Problem
from amtsweg.forms.models import Draft, FormDefinition, FormVersion
from amtsweg.forms.schema import FieldType, FormField, FormSchema, Step, Text
from amtsweg.forms.selectors import (
    form_definitions_for,
    may_change_form,
    published_form_for,
)
from amtsweg.forms.services import (
    form_definition_get_or_create,
    form_import_xdatenfelder,
    form_version_create,
    form_version_publish,
)
from amtsweg.forms.xdatenfelder import XDatenfelderError
from amtsweg.tenancy import access
from amtsweg.tenancy.models import AuditEvent
from amtsweg.testing import World

from .test_xdatenfelder import v3_field, v3_message


def schema(label: str = "Name") -> FormSchema:
    return FormSchema(
        title=Text(de="Antrag"),
        steps=[
            Step(
                key="person",
                title=Text(de="Person"),
                fields=[FormField(key="name", type=FieldType.TEXT, label=Text(de=label), required=True)],
            )
        ],
    )


def test_versions_are_numbered_and_publishing_retires_the_previous_one(world: World) -> None:
    definition = form_definition_get_or_create(service=world.town_service, authority=None)
    first = form_version_create(
        definition=definition, schema=schema("A"), source="test", actor=world.kreis_admin
    )
    second = form_version_create(
        definition=definition, schema=schema("B"), source="test", actor=world.kreis_admin
    )
    assert (first.number, second.number) == (1, 2)
    form_version_publish(version=first, actor=world.kreis_admin, channel="web")
    published = form_version_publish(version=second, actor=world.kreis_admin, channel="web")
    first.refresh_from_db()
    assert (first.status, published.status) == (FormVersion.Status.RETIRED, FormVersion.Status.PUBLISHED)
    assert published.published_at is not None
    changes = list(
        AuditEvent.objects.filter(object_type="forms.formversion", action=AuditEvent.Action.UPDATE)
        .order_by("id")
        .values_list("object_id", "changes", "channel")
    )
    assert changes == [
        (str(first.pk), {"status": ["draft", "published"]}, "web"),
        (str(first.pk), {"status": ["published", "retired"]}, "web"),
        (str(second.pk), {"status": ["draft", "published"]}, "web"),
    ]


def test_publishing_twice_changes_nothing_and_a_retired_version_can_come_back(world: World) -> None:
    definition = form_definition_get_or_create(service=world.town_service, authority=None)
    first = form_version_create(definition=definition, schema=schema("A"), source="t", actor=None)
    second = form_version_create(definition=definition, schema=schema("B"), source="t", actor=None)
    form_version_publish(version=first, actor=None)
    when = FormVersion.objects.get(pk=first.pk).published_at
    assert form_version_publish(version=first, actor=None).published_at == when
    form_version_publish(version=second, actor=None)
    form_version_publish(version=first, actor=None)  # roll back
    assert dict(FormVersion.objects.values_list("number", "status")) == {1: "published", 2: "retired"}


def test_a_draft_keeps_its_version_when_a_new_one_is_published(world: World) -> None:
    definition = form_definition_get_or_create(service=world.town_service, authority=None)
    first = form_version_publish(
        version=form_version_create(definition=definition, schema=schema("A"), source="t", actor=None),
        actor=None,
    )
    draft = Draft.objects.create(
        form_version=first, service=world.town_service, authority=world.neuss, applicant=world.citizen
    )
    second = form_version_create(definition=definition, schema=schema("B"), source="t", actor=None)
    form_version_publish(version=second, actor=None)
    draft.refresh_from_db()
    assert draft.form_version == first
    assert str(draft.form_version.parsed.steps[0].fields[0].label) == "A"


def test_an_invalid_stored_definition_cannot_be_published(world: World) -> None:
    definition = form_definition_get_or_create(service=world.town_service, authority=None)
    version = FormVersion.objects.create(definition=definition, number=1, schema={"title": "kaputt"})
    with pytest.raises(Problem) as caught:
        form_version_publish(version=version, actor=None)
    assert caught.value.status_code == 409
    assert FormVersion.objects.get(pk=version.pk).status == FormVersion.Status.DRAFT


def test_alliance_forms_only_by_alliance_admins_variants_only_by_the_authority_admins(world: World) -> None:
    alliance = form_definition_get_or_create(service=world.town_service, authority=None)
    neuss = form_definition_get_or_create(service=world.town_service, authority=world.neuss)
    dormagen = form_definition_get_or_create(service=world.town_service, authority=world.dormagen)
    may = {
        role: (may_change_form(user, alliance), may_change_form(user, neuss), may_change_form(user, dormagen))
        for role, user in [
            ("kreis_admin", world.kreis_admin),
            ("admin_neuss", world.admin_neuss),
            ("caseworker_neuss", world.caseworker_neuss),
            ("citizen", world.citizen),
        ]
    }
    assert may == {
        "kreis_admin": (True, True, True),
        "admin_neuss": (False, True, False),
        "caseworker_neuss": (False, False, False),
        "citizen": (False, False, False),
    }
    assert access.administers_alliance(world.kreis_admin) and not access.administers_alliance(
        world.admin_neuss
    )
    for definition, user in [
        (alliance, world.admin_neuss),
        (neuss, world.caseworker_neuss),
        (dormagen, world.admin_neuss),
    ]:
        with pytest.raises(Problem) as caught:
            form_version_create(definition=definition, schema=schema(), source="t", actor=user)
        assert caught.value.status_code == 403
    assert not FormVersion.objects.exists()


def test_publishing_needs_the_same_role(world: World) -> None:
    neuss = form_definition_get_or_create(service=world.town_service, authority=world.neuss)
    version = form_version_create(definition=neuss, schema=schema(), source="t", actor=world.admin_neuss)
    with pytest.raises(Problem):
        form_version_publish(version=version, actor=world.caseworker_neuss)
    assert (
        form_version_publish(version=version, actor=world.admin_neuss).status == FormVersion.Status.PUBLISHED
    )
    event = AuditEvent.objects.filter(object_id=str(version.pk), action=AuditEvent.Action.UPDATE).get()
    assert (event.actor, event.authority) == (world.admin_neuss, world.neuss)


def test_published_form_for_prefers_the_published_variant_in_one_query(world: World) -> None:
    assert published_form_for(service=world.town_service, authority=world.neuss) is None
    alliance = form_definition_get_or_create(service=world.town_service, authority=None)
    alliance_v1 = form_version_publish(
        version=form_version_create(definition=alliance, schema=schema(), source="t", actor=None), actor=None
    )
    variant = form_definition_get_or_create(service=world.town_service, authority=world.neuss)
    variant_v1 = form_version_create(definition=variant, schema=schema("Neuss"), source="t", actor=None)
    # A variant in draft does not count yet.
    assert published_form_for(service=world.town_service, authority=world.neuss) == alliance_v1
    form_version_publish(version=variant_v1, actor=None)
    with CaptureQueriesContext(connection) as queries:
        found = published_form_for(service=world.town_service, authority=world.neuss)
        assert found is not None and found.definition.authority == world.neuss
    assert len(queries) == 1
    assert published_form_for(service=world.town_service, authority=world.dormagen) == alliance_v1
    assert published_form_for(service=world.town_service, authority=None) == alliance_v1
    assert published_form_for(service=world.kreis_service, authority=world.kreis) is None


def test_staff_see_alliance_forms_of_offered_services_and_own_variants(world: World) -> None:
    town_alliance = form_definition_get_or_create(service=world.town_service, authority=None)
    kreis_alliance = form_definition_get_or_create(service=world.kreis_service, authority=None)
    neuss = form_definition_get_or_create(service=world.town_service, authority=world.neuss)
    dormagen = form_definition_get_or_create(service=world.town_service, authority=world.dormagen)

    def visible(user: object) -> set[int]:
        return set(form_definitions_for(user).values_list("pk", flat=True))  # type: ignore[arg-type]

    assert visible(world.caseworker_neuss) == {town_alliance.pk, neuss.pk}
    assert visible(world.caseworker_dormagen) == {town_alliance.pk, dormagen.pk}
    assert visible(world.kreis_admin) == {town_alliance.pk, kreis_alliance.pk, neuss.pk, dormagen.pk}
    assert visible(world.citizen) == set()


def test_import_validates_before_writing_and_is_idempotent(world: World) -> None:
    data = v3_message(v3_field("F1"))
    with pytest.raises(XDatenfelderError):
        form_import_xdatenfelder(
            service=world.town_service,
            authority=world.neuss,
            data=b"<kaputt",
            filename="x.xml",
            actor=world.admin_neuss,
        )
    assert not FormDefinition.objects.exists()
    first = form_import_xdatenfelder(
        service=world.town_service,
        authority=world.neuss,
        data=data,
        filename="a.xml",
        actor=world.admin_neuss,
    )
    again = form_import_xdatenfelder(
        service=world.town_service,
        authority=world.neuss,
        data=data,
        filename="b.xml",
        actor=world.admin_neuss,
    )
    assert (first.created, again.created, again.version) == (True, False, first.version)
    changed = form_import_xdatenfelder(
        service=world.town_service,
        authority=world.neuss,
        data=v3_message(v3_field("F1") + v3_field("F2")),
        filename="c.xml",
        actor=world.admin_neuss,
        publish=True,
    )
    assert (changed.created, changed.version.number, changed.version.status) == (True, 2, "published")
    # Importing the first file again is a change back (newest differs), so it is a new version.
    back = form_import_xdatenfelder(
        service=world.town_service,
        authority=world.neuss,
        data=data,
        filename="a.xml",
        actor=world.admin_neuss,
    )
    assert (back.created, back.version.number) == (True, 3)
