"""The instruction material's Markdown as safe HTML (markdown-it-py, CommonMark, raw HTML disabled).

Health-office staff write the material; the page shows it to the public, so the renderer allows no
raw HTML, no images (the strict CSP and the page's own video and leaflet cover media), links only
to ``http(s)``, ``mailto``, ``tel`` and same-site paths, each with ``rel="noopener noreferrer"``.
Headings move down a level: the page's own ``<h1>`` is the material's title.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt
from markdown_it.token import Token

ALLOWED_SCHEMES = frozenset({"http", "https", "mailto", "tel"})


def _link_allowed(url: str) -> bool:
    # markdown-it normalises the URL first (percent-encoding), so control characters and spaces
    # cannot hide a scheme from urlsplit here.
    stripped = url.strip()
    if stripped.startswith("//"):
        return False  # protocol-relative: another host without saying so
    scheme = urlsplit(stripped).scheme.lower()
    return scheme in ALLOWED_SCHEMES if scheme else True


def _renderer(heading_offset: int) -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False})
    md.disable("image")
    md.validateLink = _link_allowed  # type: ignore[method-assign]

    def level(tag: str) -> str:
        return f"h{min(int(tag[1:]) + heading_offset, 6)}"

    # markdown-it binds render rules to its renderer: ``renderer`` is that first argument.
    def link_open(renderer: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
        tokens[idx].attrSet("rel", "noopener noreferrer")
        return str(renderer.renderToken(tokens, idx, options, env))

    def heading(renderer: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
        tokens[idx].tag = level(tokens[idx].tag)
        return str(renderer.renderToken(tokens, idx, options, env))

    md.add_render_rule("link_open", link_open)
    md.add_render_rule("heading_open", heading)
    md.add_render_rule("heading_close", heading)
    return md


_RENDERERS: dict[int, MarkdownIt] = {}


def render_markdown(text: str, *, heading_offset: int = 1) -> SafeString:
    """``text`` (Markdown) as HTML safe to put into a page; headings moved down ``heading_offset`` levels."""
    renderer = _RENDERERS.get(heading_offset)
    if renderer is None:
        renderer = _RENDERERS[heading_offset] = _renderer(heading_offset)
    return mark_safe(str(renderer.render(text or "")))  # noqa: S308  (html disabled, links validated above)
