"""Template tags of the process viewer: its scripts and styles (once per page) and the step list."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template
from django.templatetags.static import static
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from amtsweg.processes import static_build
from amtsweg.processes.steps import LaneSteps, step_list
from amtsweg.processes.structure import ProcessStructure

register = template.Library()

_EMITTED = "_amtsweg_viewer_assets"
VIEWER_CSS = "processes/viewer.css"
VIEWER_JS = "processes/viewer.js"


@register.simple_tag(takes_context=True)
def viewer_assets(context: template.Context, *, diagram: bool = True) -> SafeString:
    """The viewer's stylesheets and scripts, emitted once per request however often the includes are
    used on a page (e.g. two diagrams side by side). Scripts are deferred, so the page renders first.

    Without a built viewer (``amtsweg build_viewer`` not run) only our script is loaded; it then says
    so next to the diagram, and the step list carries the page.
    """
    request = context.get("request")
    emitted: set[str] = getattr(request, _EMITTED, set()) if request is not None else set()
    wanted = ["steps"] + (["diagram"] if diagram else [])
    missing = [part for part in wanted if part not in emitted]
    if request is not None:
        setattr(request, _EMITTED, emitted | set(missing))
    styles: list[str] = []
    scripts: list[str] = []
    if "diagram" in missing and static_build.built_version():
        prefix = static_build.STATIC_PREFIX
        styles += [f"{prefix}/diagram-js.css", f"{prefix}/bpmn-js.css"]
        scripts.append(f"{prefix}/bpmn-navigated-viewer.production.min.js")
    if "steps" in missing:
        styles.append(VIEWER_CSS)
    if "diagram" in missing:
        scripts.append(VIEWER_JS)
    return format_html(
        "{}{}",
        format_html_join("", '<link rel="stylesheet" href="{}">\n', ((static(s),) for s in styles)),
        format_html_join("", '<script src="{}" defer></script>\n', ((static(s),) for s in scripts)),
    )


@register.simple_tag
def viewer_steps(structure: ProcessStructure, markers: Mapping[str, Any] | None = None) -> list[LaneSteps]:
    """The steps of ``structure`` in flow order, grouped by lane (see :func:`..steps.step_list`)."""
    return step_list(structure, markers if isinstance(markers, Mapping) else None)
