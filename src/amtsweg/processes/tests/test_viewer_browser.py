"""The viewer in Chromium: bpmn.io draws the model under our strict CSP, markers and heat are applied,
the bpmn.io watermark stays visible, the page is accessible, and without JavaScript the step list
carries the page."""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.conf import settings
from django.template import Context, Template
from django.test import Client, RequestFactory
from lxml import etree
from playwright.sync_api import Browser, Page, expect

from amtsweg.browser import assert_accessible
from amtsweg.processes import static_build
from amtsweg.processes.models import ProcessTask
from amtsweg.processes.steps import ordered_steps
from amtsweg.processes.structure import StructureError, read_structure
from amtsweg.testing import World, shared_data

from .factories_viewer import case_with_process, process_version, sample_xml

pytestmark = pytest.mark.browser

CANVAS = '{{% include "processes/viewer_canvas.html" with {} %}}\n'
WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push([e.violatedDirective, e.blockedURI || "inline", e.sample || ""].join(" "));
});
"""


@pytest.fixture(autouse=True)
def _viewer_built() -> None:
    if not static_build.built_version():
        message = "the viewer is not built: run `npm ci` and `amtsweg build_viewer`"
        if os.getenv("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)


def _login(page: Page, live_server: Any, user: object) -> None:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )


def _rendered(page: Page, canvas: str = "#diagramm") -> str:
    selector = f'{canvas}[data-state="rendered"], {canvas}[data-state="error"]'
    page.wait_for_selector(selector, state="attached")
    return str(page.get_attribute(canvas, "data-state"))


def _no_csp_violations(page: Page) -> None:
    assert page.evaluate("window.__cspViolations") == []


def _watermark_visible(page: Page, canvas: str = "#diagramm") -> None:
    logo = page.locator(f"{canvas} a.bjs-powered-by")
    expect(logo).to_be_visible()
    assert "bpmn.io" in (logo.get_attribute("href") or "")
    logo.scroll_into_view_if_needed()
    # Not overlapped by anything of ours (the licence asks for that): the topmost element at its
    # centre is the logo itself.
    assert (
        page.evaluate(
            """(selector) => {
            const logo = document.querySelector(selector);
            const box = logo.getBoundingClientRect();
            const top = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
            return logo === top || logo.contains(top) || (top ? top.outerHTML.slice(0, 200) : "nothing");
        }""",
            f"{canvas} a.bjs-powered-by",
        )
        is True
    )


def test_case_position_on_the_munich_model(page: Page, live_server: Any, world: World) -> None:
    xml = shared_data("bpmn/muenchen_AntragDVMoHo.bpmn").read_text(encoding="utf-8")
    version = process_version(world, authority=world.neuss, xml=xml, source="muenchen_AntragDVMoHo.bpmn")
    steps = ordered_steps(version.parsed)
    done = [node.id for node in steps[:3]]
    current = next(node for node in steps[3:] if node.category == "task")
    path = [(i, ProcessTask.State.COMPLETED) for i in done] + [(current.id, ProcessTask.State.OPEN)]
    case = case_with_process(world, version=version, path=path)

    page.add_init_script(WATCH_CSP)
    _login(page, live_server, world.caseworker_neuss)
    page.goto(f"/backoffice/{world.neuss.ags}/vorgaenge/{case.pk}/prozess/")
    assert _rendered(page) == "rendered"

    assert page.locator("#diagramm .djs-element").count() > 40
    assert page.locator(f'#diagramm .djs-element.aw-completed[data-element-id="{done[0]}"]').count() == 1
    marked = page.locator(f'#diagramm .djs-element.aw-current[data-element-id="{current.id}"]')
    assert marked.count() == 1
    # The colours come from viewer.css (bpmn-js draws inline, so this checks our CSS wins).
    stroke = page.evaluate(
        """(id) => getComputedStyle(document.querySelector(
            `#diagramm [data-element-id="${id}"] .djs-visual > :first-child`)).strokeWidth""",
        current.id,
    )
    assert stroke == "4px"
    expect(page.locator("#diagramm .aw-overlay--current")).to_have_text("aktuell")
    assert page.locator("#diagramm .djs-connection.aw-taken").count() >= 2

    _watermark_visible(page)
    # Zoom with real buttons and with the keyboard on the focusable canvas.
    viewport = page.locator("#diagramm svg .viewport")
    before = viewport.get_attribute("transform")
    page.get_by_role("button", name="+ Vergrößern").click()
    assert viewport.get_attribute("transform") != before
    page.locator("#diagramm svg").first.focus()
    moved = viewport.get_attribute("transform")
    page.keyboard.press("ArrowLeft")
    assert viewport.get_attribute("transform") != moved
    expect(page.locator("#diagramm svg").first).to_have_attribute("aria-describedby", "diagramm-help")

    # The text alternative is on the same page.
    expect(page.locator(f"#schritte-{current.id}")).to_contain_text("aktuell")
    assert page.locator("li.bpmn-step").count() == len(version.parsed.nodes)
    assert_accessible(page)
    _no_csp_violations(page)


def test_every_shared_model_renders(page: Page, live_server: Any, world: World) -> None:
    folder = shared_data("bpmn")
    versions = []
    for path in sorted(folder.glob("*.bpmn")):
        xml = path.read_text(encoding="utf-8")
        try:
            read_structure(etree.fromstring(xml.encode("utf-8")))
        except StructureError:
            continue
        versions.append((path.name, process_version(world, authority=world.neuss, xml=xml, source=path.name)))
    assert len(versions) >= 7
    page.add_init_script(WATCH_CSP)
    _login(page, live_server, world.caseworker_neuss)
    for name, version in versions:
        page.goto(f"/backoffice/{world.neuss.ags}/prozesse/versionen/{version.pk}/diagramm/")
        state = _rendered(page)
        message = page.locator("#diagramm-message").text_content()
        assert state == "rendered", f"{name}: {message}"
        count = page.locator("#diagramm .djs-shape").count()
        assert count >= len([n for n in version.parsed.nodes]) // 2, f"{name}: only {count} shapes"
        _watermark_visible(page)
        _no_csp_violations(page)


def test_canvas_include_heat_map_two_canvases_and_a_failing_load(page: Page, live_server: Any) -> None:
    """The include as other pages use it (comparison side by side): assets once, heat classes and
    labels, a legend, and a model that cannot be loaded is a message, not an empty box."""
    request = RequestFactory().get("/")
    body = Template(
        """{% load static %}<!DOCTYPE html><html lang="de"><head><meta charset="utf-8"><title>Viewer</title>
        <link rel="stylesheet" href="{% static 'portal/css/amtsweg.css' %}"></head>
        <body><main><h1>Vergleich</h1>
        """
        + CANVAS.format('canvas_id="links" title="Neuss" bpmn_url=good markers=heat heat_legend=legend')
        + CANVAS.format('canvas_id="rechts" title="Dormagen" bpmn_url=bad markers=empty')
        + "</main></body></html>"
    ).render(
        Context(
            {
                "request": request,
                "heat": {
                    "completed": [],
                    "current": [],
                    "flows": [],
                    "heat": {
                        "Task_Pruefen": {"level": 1, "label": "4 Stunden"},
                        "Task_Versand": {"level": 4, "label": "2,5 Tage"},
                        "Unknown_Element": {"level": 2, "label": "x"},
                    },
                },
                "legend": ["< 1 Tag", "1–2 Tage", "2–5 Tage", "5–10 Tage", "> 10 Tage"],
                "empty": {},
                "good": "/__viewer__/model.bpmn",
                "bad": "/__viewer__/missing.bpmn",
            }
        )
    )
    csp = Client().get("/")["Content-Security-Policy"]
    assert "unsafe-inline" not in csp

    def serve(route: Any) -> None:
        url = route.request.url
        if url.endswith("/model.bpmn"):
            route.fulfill(status=200, content_type="application/xml", body=sample_xml())
        elif url.endswith("/missing.bpmn"):
            route.fulfill(status=404, content_type="text/plain", body="not found")
        else:
            route.fulfill(
                status=200,
                content_type="text/html; charset=utf-8",
                body=body,
                headers={"Content-Security-Policy": csp},
            )

    page.route("**/__viewer__/**", serve)
    page.add_init_script(WATCH_CSP)
    page.goto("/__viewer__/page")
    assert _rendered(page, "#links") == "rendered"
    assert _rendered(page, "#rechts") == "error"

    assert page.locator('script[src$="/processes/viewer.js"]').count() == 1
    assert page.locator('script[src$="bpmn-navigated-viewer.production.min.js"]').count() == 1
    assert page.locator('#links .djs-element.aw-heat-4[data-element-id="Task_Versand"]').count() == 1
    assert page.locator('#links .djs-element.aw-heat-1[data-element-id="Task_Pruefen"]').count() == 1
    expect(page.locator("#links .aw-overlay--heat")).to_have_count(2)
    expect(page.locator("#links .aw-overlay--heat").last).to_be_visible()
    expect(page.locator(".bpmn-legend--heat li")).to_have_count(5)
    assert page.get_attribute("#links", "data-markers-applied") == "2"
    _watermark_visible(page, "#links")

    expect(page.locator("#rechts")).to_be_hidden()
    expect(page.locator("#rechts-message")).to_be_visible()
    expect(page.locator("#rechts-message")).to_contain_text("kann nicht angezeigt werden: HTTP 404")
    assert_accessible(page)
    _no_csp_violations(page)


def test_without_javascript_the_step_list_carries_the_page(
    chromium: Browser, live_server: Any, world: World
) -> None:
    case = case_with_process(world)
    context = chromium.new_context(base_url=live_server.url, locale="de-DE", java_script_enabled=False)
    try:
        page = context.new_page()
        _login(page, live_server, world.caseworker_neuss)
        page.goto(f"/backoffice/{world.neuss.ags}/vorgaenge/{case.pk}/prozess/")
        expect(page.locator(".bpmn-viewer__fallback")).to_contain_text("braucht JavaScript")
        expect(page.locator(".bpmn-toolbar")).to_be_hidden()
        expect(page.locator("#schritte-Task_Pruefen")).to_contain_text("aktuell")
        expect(page.locator("#schritte-Gateway_Vollstaendig")).to_contain_text("wenn ${vollstaendig}")
        page.get_by_role("link", name="Antrag prüfen").first.click()
        assert page.url.endswith("#schritte-Task_Pruefen")
    finally:
        context.close()
