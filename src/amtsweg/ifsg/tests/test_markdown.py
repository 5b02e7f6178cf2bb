"""The material's Markdown as HTML: no raw HTML, no script or data URLs, safe links, headings moved down."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from ..markdown import render_markdown


def test_markdown_renders_paragraphs_lists_and_emphasis_with_headings_one_level_down() -> None:
    html = render_markdown("# Verbote\n\n## Hände\n\n- **Durchfall**\n- Fieber\n\nText")
    assert html == (
        "<h2>Verbote</h2>\n<h3>Hände</h3>\n<ul>\n<li><strong>Durchfall</strong></li>\n<li>Fieber</li>\n"
        "</ul>\n<p>Text</p>\n"
    )
    assert render_markdown("###### Tief").startswith("<h6>")


@pytest.mark.parametrize(
    "attack",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '<a href="javascript:alert(1)">x</a>',
        "[x](javascript:alert(1))",
        "[x](JAVASCRIPT:alert(1))",
        "[x](java\tscript:alert(1))",
        "[x](&#106;avascript:alert(1))",
        "[x](vbscript:msgbox(1))",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "<javascript:alert(1)>",
        "![x](https://evil.example/track.png)",
        '[x](https://a.example "t\\" onmouseover=alert(1) x=\\"")',
        "<iframe src=https://evil.example></iframe>",
        "[x](//evil.example/)",
    ],
)
def test_no_raw_html_script_urls_or_images_survive(attack: str) -> None:
    parser = _Tags()
    parser.feed(str(render_markdown(attack)))
    for tag, attrs in parser.tags:
        assert tag in {"p", "a", "code", "em", "strong"}, tag
        assert {name for name, _ in attrs} <= {"href", "title", "rel"}, attrs
        href = dict(attrs).get("href") or ""
        assert href.startswith(("https://", "http://", "mailto:", "/")) or not href, href
        assert not href.startswith("//"), href


class _Tags(HTMLParser):
    """Every element and its attributes, as a browser would parse them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def test_links_get_rel_noopener() -> None:
    html = render_markdown(
        "[Gesundheitsamt](https://www.rhein-kreis-neuss.de) und [Merkblatt](/merkblatt.pdf)"
    )
    assert html.count('rel="noopener noreferrer"') == 2
    assert '<a href="https://www.rhein-kreis-neuss.de" rel="noopener noreferrer">Gesundheitsamt</a>' in html
    assert render_markdown("[Mail](mailto:ga@example.org)").count("noopener") == 1


def test_empty_text() -> None:
    assert render_markdown("") == ""
