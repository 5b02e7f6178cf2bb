"""The citizen's instruction API end to end: start, material, declaration, quiz failure and retry,
waiver, submission, certificate; problems in German and English; other people's instructions are 404;
no response ever carries a right answer."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from amtsweg.cases.models import Case, Submission
from amtsweg.identity.assurance import SESSION_KEY
from amtsweg.identity.models import User
from amtsweg.outbox.testing import deliver_due_messages
from amtsweg.payments.services import payment_for_draft, payment_waive
from amtsweg.testing import World, make_user

from .. import quiz
from ..models import Certificate, Instruction, Question
from . import matrix_api_citizen
from .factories import FEE_CENTS, VOUCHER, IfsgSetup, ifsg_setup

pytestmark = pytest.mark.django_db
BASE = "/api/v1/ifsg"
DECLARATION = {"familienname": "Citizen", "vornamen": "Clara", "geburtsdatum": "1990-05-17", "declared": True}


@pytest.fixture
def setup(world: World) -> IfsgSetup:
    return ifsg_setup(world)


def eid_client(user: User, level: str = "substantiell") -> Client:
    client = Client()
    client.force_login(user)
    session = client.session
    session[SESSION_KEY] = {"level": level, "method": "test-eid", "at": timezone.now().isoformat()}
    session.save()
    return client


def post(client: Client, url: str, data: dict[str, Any] | None = None) -> Any:
    return client.post(url, data=json.dumps(data or {}), content_type="application/json")


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    assert body["detail_de"] and body["detail"] and body["detail_de"] != body["detail"]
    return body


def answers(quiz_body: dict[str, Any], *, wrong: int = 0) -> list[dict[str, int]]:
    """The shown positions of the right options (looked up in the database, as no response has them)."""
    correct = dict(Question.objects.values_list("pk", "correct"))
    attempt_items = {item["question"]: item for item in _attempt_items(quiz_body["id"])}
    rows = []
    for item in quiz_body["items"]:
        right = quiz.to_shown(attempt_items[item["question"]], correct[item["question"]])
        position = (right + 1) % len(item["options"]) if item["position"] < wrong else right
        rows.append({"question": item["question"], "position": position})
    return rows


def _attempt_items(attempt_id: int) -> list[dict[str, Any]]:
    from ..models import QuizAttempt

    return list(QuizAttempt.objects.get(pk=attempt_id).items)


def assert_no_answers_revealed(quiz_body: dict[str, Any]) -> None:
    for item in quiz_body["items"]:
        assert set(item) == {"position", "question", "text", "options"}
        for option in item["options"]:
            assert set(option) == {"position", "text"}
    assert "correct" not in json.dumps(quiz_body) and "explanation" not in json.dumps(quiz_body)


def test_the_programmes_are_public(world: World, setup: IfsgSetup) -> None:
    body = Client().get(f"{BASE}/programmes").json()
    assert len(body) == 1
    programme = body[0]
    assert programme["authority"] == world.kreis.ags and programme["service"] == setup.service.leika_key
    assert [lang["code"] for lang in programme["languages"]] == ["de", "en", "ar"]
    assert [lang["rtl"] for lang in programme["languages"]] == [False, False, True]
    assert programme["fee_cents"] == FEE_CENTS and programme["trust_level"] == "substantiell"
    assert programme["rules"]["questions_per_attempt"] == 8 and programme["rules"]["pass_mark"] == 7


def test_the_whole_instruction_through_the_api(world: World, setup: IfsgSetup) -> None:
    # A password login is not enough to start.
    weak = eid_client(world.citizen, level="normal")
    assert_problem(
        post(weak, f"{BASE}/instructions", {"authority": world.kreis.ags, "language": "de"}),
        403,
        "trust-level-too-low",
    )
    client = eid_client(world.citizen)
    started = post(client, f"{BASE}/instructions", {"authority": world.kreis.ags, "language": "de"})
    assert started.status_code == 201
    pk = started.json()["id"]
    assert started.json()["progress"]["step"] == "material"
    assert started.json()["person"] == {"familienname": "Citizen", "vornamen": "Clara", "geburtsdatum": ""}
    again = post(client, f"{BASE}/instructions", {"authority": world.kreis.ags, "language": "de"})
    assert again.status_code == 200 and again.json()["id"] == pk
    url = f"{BASE}/instructions/{pk}"

    material = client.get(f"{url}/material").json()
    assert material["version"] == 1 and material["html"].startswith("<h2>Tätigkeitsverbote</h2>")
    assert material["declaration"] == setup.materials["de"].declaration and material["confirmed_at"] is None
    assert_problem(post(client, f"{url}/quiz"), 409, "ifsg-step-not-available")
    assert post(client, f"{url}/material").json()["progress"]["step"] == "declaration"

    too_young = post(client, f"{url}/declaration", {**DECLARATION, "geburtsdatum": "2020-01-01"})
    assert "geburtsdatum" in assert_problem(too_young, 400, "ifsg-invalid-declaration")["errors"]
    assert_problem(
        post(client, f"{url}/declaration", {**DECLARATION, "declared": False}),
        400,
        "ifsg-declaration-required",
    )
    assert post(client, f"{url}/declaration", DECLARATION).json()["progress"]["step"] == "quiz"

    # First attempt: three wrong, failed; the person learns which items, not the right options.
    first = post(client, f"{url}/quiz")
    assert first.status_code == 200
    first_body = first.json()
    assert len(first_body["items"]) == 8 and first_body["pass_mark"] == 7
    assert_no_answers_revealed(first_body)
    assert post(client, f"{url}/quiz").json()["id"] == first_body["id"]  # a reload: the same set
    failed = post(client, f"{url}/quiz/{first_body['id']}", {"answers": answers(first_body, wrong=3)}).json()
    last = failed["progress"]["last_attempt"]
    assert (last["passed"], last["correct_count"], last["wrong_positions"]) == (False, 5, [0, 1, 2])
    assert failed["progress"]["step"] == "material" and failed["progress"]["attempts_left_in_round"] == 2
    assert 'correct"' not in json.dumps(failed).replace("correct_count", "")

    # Retry after reading the material again, and pass.
    assert_problem(post(client, f"{url}/quiz"), 409, "ifsg-step-not-available")
    post(client, f"{url}/material")
    second_body = post(client, f"{url}/quiz").json()
    assert second_body["id"] != first_body["id"]
    assert_no_answers_revealed(second_body)
    bad = post(client, f"{url}/quiz/{second_body['id']}", {"answers": answers(second_body)[1:]})
    assert_problem(bad, 400, "ifsg-invalid-answers")
    done = post(client, f"{url}/quiz/{second_body['id']}", {"answers": answers(second_body)}).json()
    assert done["progress"]["last_attempt"]["passed"] is True and done["progress"]["step"] == "payment"

    # The fee: submission refused until it is settled; a wrong voucher; the right one.
    assert_problem(post(client, f"{url}/submit"), 402, "payment-required")
    payment = post(client, f"{url}/payment").json()
    assert payment["amount_cents"] == FEE_CENTS and payment["status"] == "open"
    assert_problem(post(client, f"{url}/waiver", {"code": "FALSCH"}), 422, "voucher-invalid")
    waived = post(client, f"{url}/waiver", {"code": VOUCHER}).json()
    assert waived["id"] == payment["id"] and waived["status"] == "waived"
    assert client.get(url).json()["progress"]["step"] == "submit"

    # Submit twice: one case.
    submitted = post(client, f"{url}/submit")
    assert submitted.status_code == 201
    assert post(client, f"{url}/submit").json()["submission"] == submitted.json()["submission"]
    assert Submission.objects.count() == 1 and Case.objects.count() == 1
    case = Case.objects.get()
    assert submitted.json()["reference"] == case.reference
    assert Instruction.objects.get(pk=pk).case == case

    deliver_due_messages()
    certificate = Certificate.objects.select_related("notice").get(instruction_id=pk)
    assert certificate.holder_name == "Clara Citizen" and certificate.birth_date.isoformat() == "1990-05-17"
    detail = client.get(url).json()
    assert detail["progress"]["step"] == "done" and detail["case_reference"] == case.reference
    assert detail["progress"]["certificate"]["verification_code"] == certificate.notice.code
    assert detail["progress"]["certificate"]["work_begin_by"] == certificate.work_begin_by.isoformat()


def test_a_round_of_failures_blocks_with_the_time_of_the_next_round(world: World, setup: IfsgSetup) -> None:
    client = eid_client(world.citizen)
    pk = post(client, f"{BASE}/instructions", {"authority": world.kreis.ags, "language": "ar"}).json()["id"]
    url = f"{BASE}/instructions/{pk}"
    assert client.get(f"{url}/material").json()["language"] == "ar"
    post(client, f"{url}/material")
    post(client, f"{url}/declaration", DECLARATION)
    for _ in range(3):
        post(client, f"{url}/material")
        body = post(client, f"{url}/quiz").json()
        assert body["language"] == "ar" and body["items"][0]["text"].startswith("؟")
        post(client, f"{url}/quiz/{body['id']}", {"answers": answers(body, wrong=8)})
    blocked = assert_problem(post(client, f"{url}/quiz"), 409, "ifsg-quiz-blocked")
    shown = client.get(url).json()["progress"]["blocked_until"]
    assert datetime.fromisoformat(blocked["blocked_until"]) == datetime.fromisoformat(shown)
    assert datetime.fromisoformat(shown) > timezone.now() + timedelta(hours=23)
    assert client.get(url).json()["progress"]["step"] == "blocked"


def test_another_citizen_gets_404_on_every_instruction_route(world: World, setup: IfsgSetup) -> None:
    world.__dict__["_ifsg_setup"] = setup
    other = make_user("otto@example.org", kind=User.Kind.CITIZEN, first="Otto", last="Other")
    client = eid_client(other)
    routes = [r for r in matrix_api_citizen.ROUTES if "/instructions/" in r.url(world, world.neuss)]
    assert len(routes) >= 9
    for route in routes:
        url = route.url(world, world.neuss)
        response = client.get(url) if route.method == "get" else post(client, url, dict(route.data))
        assert response.status_code == 404, f"{route.method} {url}: {response.status_code}"
        assert response["Content-Type"].startswith("application/problem+json")
    assert client.get(f"{BASE}/instructions").json() == []
    assert Instruction.objects.get().instructed_at is not None  # untouched by the other's posts


def test_staff_get_403(world: World, setup: IfsgSetup) -> None:
    client = Client()
    client.force_login(world.caseworker_neuss)
    assert client.get(f"{BASE}/instructions").status_code == 403


def test_the_generic_application_api_cannot_skip_the_quiz(world: World, setup: IfsgSetup) -> None:
    client = eid_client(world.citizen)
    pk = post(client, f"{BASE}/instructions", {"authority": world.kreis.ags, "language": "de"}).json()["id"]
    url = f"{BASE}/instructions/{pk}"
    post(client, f"{url}/material")
    post(client, f"{url}/declaration", DECLARATION)
    draft = Instruction.objects.select_related("draft").get(pk=pk).draft
    assert draft is not None
    payment = payment_for_draft(draft=draft, actor=world.citizen)
    assert payment is not None
    payment_waive(payment=payment, code=VOUCHER, actor=world.citizen)
    response = post(client, f"/api/v1/applications/{draft.pk}/submit")
    assert_problem(response, 409, "ifsg-not-passed")
    assert not Submission.objects.exists()
