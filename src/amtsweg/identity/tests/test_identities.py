"""External identities, trust levels and organisations: the rules every login plug-in relies on."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client, RequestFactory
from hypothesis import given
from hypothesis import strategies as st

from amtsweg.cases.services import submission_submit
from amtsweg.cases.tests.factories import make_draft
from amtsweg.core.problems import Problem
from amtsweg.identity import levels
from amtsweg.identity.assurance import SESSION_KEY, Assurance, assurance_of
from amtsweg.identity.levels import TrustLevel
from amtsweg.identity.models import ExternalIdentity, Organisation, User
from amtsweg.identity.services import IdentityConflict, external_login
from amtsweg.testing import World

PERSON = {"given_name": "Bernd", "family_name": "Bürger", "birth_date": "1984-05-17", "city": "Neuss"}


def _request(user: Any = None) -> Any:
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/")
    request.session = SessionStore()
    request.user = user or AnonymousUser()
    return request


def _login(
    request: Any, subject: str = "bpk2-abc", level: TrustLevel = TrustLevel.HIGH, **extra: Any
) -> User:
    return external_login(
        request,
        method="saml:bundid",
        issuer="https://id.bund.de",
        subject=subject,
        level=level,
        attributes={**PERSON, "nationality": "DE", **extra},
    )


def test_first_login_creates_an_account_with_only_the_kept_attributes(world: World) -> None:
    request = _request()
    user = _login(request)
    assert user.kind == User.Kind.CITIZEN and not user.has_usable_password()
    assert user.email.endswith("@konto.invalid") and user.email_verified_at is None
    assert (user.first_name, user.last_name) == ("Bernd", "Bürger")
    link = ExternalIdentity.objects.get(user=user)
    assert "nationality" not in link.attributes and link.attributes["birth_date"] == "1984-05-17"
    assert request.session[SESSION_KEY]["level"] == "hoch"
    assert assurance_of(request) == Assurance(
        TrustLevel.HIGH, "saml:bundid", assurance_of(request).authenticated_at
    )


def test_the_same_identity_logs_into_the_same_account(world: World) -> None:
    first = _login(_request())
    second = _login(_request(), level=TrustLevel.SUBSTANTIAL)
    assert first == second and ExternalIdentity.objects.count() == 1
    assert ExternalIdentity.objects.get().level == "substantiell"


def test_an_address_of_an_existing_account_is_never_used_to_take_it_over(world: World) -> None:
    user = _login(_request(), email=world.citizen.email)
    assert user != world.citizen and user.email.endswith("@konto.invalid")


def test_step_up_links_to_the_logged_in_citizen(world: World) -> None:
    user = _login(_request(world.citizen))
    assert user == world.citizen
    assert ExternalIdentity.objects.get().user == world.citizen


def test_an_identity_of_another_account_is_refused_not_switched(world: World) -> None:
    _login(_request())  # linked to a new account
    with pytest.raises(IdentityConflict):
        _login(_request(world.citizen))


def test_a_staff_session_never_gets_a_citizen_identity(world: World) -> None:
    user = _login(_request(world.caseworker_neuss))
    assert user != world.caseworker_neuss and user.kind == User.Kind.CITIZEN


def test_a_disabled_account_cannot_log_in_through_its_provider(world: World) -> None:
    user = _login(_request())
    User.objects.filter(pk=user.pk).update(is_active=False)
    with pytest.raises(Problem) as refused:
        _login(_request())
    assert refused.value.code == "account-disabled" and refused.value.status_code == 403


def test_organisation_is_linked_once_and_names_refresh(world: World) -> None:
    request = _request()
    for _ in range(2):
        external_login(
            request,
            method="oidc:elster",
            issuer="https://elster.example",
            subject="org-person",
            level=TrustLevel.SUBSTANTIAL,
            attributes=PERSON,
            organisation={"name": "Rheinufer GmbH", "identifier": "HRB 1 AG Neuss"},
        )
    organisation = Organisation.objects.get()
    assert organisation.verified_by == "oidc:elster" and organisation.memberships.count() == 1


@given(have=st.sampled_from(TrustLevel.values), need=st.sampled_from(TrustLevel.values))
def test_satisfies_follows_the_order_of_levels(have: str, need: str) -> None:
    order = ["none", "normal", "substantiell", "hoch"]
    assert levels.satisfies(have, need) == (order.index(have) >= order.index(need))


def test_level_names_map_both_ways() -> None:
    assert levels.from_stork("STORK-QAA-Level-3") == TrustLevel.SUBSTANTIAL
    assert levels.from_stork("STORK-QAA-Level-2") == TrustLevel.NORMAL
    assert levels.from_stork("Level-9") is None
    assert levels.from_eidas("http://eidas.europa.eu/LoA/high") == TrustLevel.HIGH
    assert levels.highest("normal", "hoch", "substantiell") == TrustLevel.HIGH
    assert levels.rank("unbekannt") == -1 and not levels.satisfies("unbekannt", "normal")
    assert "STORK-QAA-Level-4" in levels.describe("hoch")


def test_caseworker_sees_level_method_and_organisation(world: World) -> None:
    organisation = Organisation.objects.create(name="Rheinufer GmbH", identifier="HRB 1 AG Neuss")
    organisation.memberships.create(user=world.citizen)
    draft = make_draft(world)
    submission = submission_submit(
        draft=draft,
        actor=world.citizen,
        channel="web",
        assurance=Assurance(TrustLevel.SUBSTANTIAL, "saml:bundid", organisation_id=organisation.pk),
    )
    case = submission.case
    client = Client()
    client.force_login(world.caseworker_neuss)
    page = client.get(f"/backoffice/{world.neuss.ags}/vorgaenge/{case.pk}/").content.decode()
    assert "substantiell (eIDAS substanziell), STORK-QAA-Level-3" in page
    assert "Rheinufer GmbH" in page
    data = client.get(f"/api/v1/staff/cases/{case.pk}").json()
    assert data["identity"] == {
        "trust_level": "substantiell",
        "eidas_level": "substantial",
        "login_method": "saml:bundid",
        "organisation": {"name": "Rheinufer GmbH", "identifier": "HRB 1 AG Neuss"},
    }


def test_an_organisation_one_may_not_act_for_is_ignored_on_submission(world: World) -> None:
    stranger = Organisation.objects.create(name="Fremd GmbH", identifier="HRB 2")
    submission = submission_submit(
        draft=make_draft(world),
        actor=world.citizen,
        channel="web",
        assurance=Assurance(TrustLevel.HIGH, "demo", organisation_id=stranger.pk),
    )
    assert submission.organisation is None


def test_identity_api_and_organisation_choice(world: World) -> None:
    organisation = Organisation.objects.create(name="Rheinufer GmbH", identifier="HRB 1 AG Neuss")
    organisation.memberships.create(user=world.citizen)
    stranger = Organisation.objects.create(name="Fremd GmbH", identifier="HRB 2")
    client = Client()
    client.force_login(world.citizen)
    me = client.get("/api/v1/me/identity").json()
    assert me["trust_level"] == "normal" and me["eidas_level"] == "low" and me["acting_for"] is None
    chosen = client.post(
        "/api/v1/me/identity/organisation", {"organisation": organisation.pk}, content_type="application/json"
    )
    assert chosen.status_code == 200 and chosen.json()["acting_for"] == organisation.pk
    refused = client.post(
        "/api/v1/me/identity/organisation", {"organisation": stranger.pk}, content_type="application/json"
    )
    assert refused.status_code == 404 and refused.json()["code"] == "organisation-not-yours"
    bad = client.post(
        "/api/v1/me/identity/organisation", {"organisation": "x"}, content_type="application/json"
    )
    assert bad.status_code == 400
