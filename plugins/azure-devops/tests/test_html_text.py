"""Boards' HTML Description to plain text and back."""

import pytest

from mbf_azure_devops.html_text import html_to_text, text_to_html


def test_text_becomes_one_escaped_paragraph_per_line() -> None:
    assert text_to_html("a < b & c\n\n  indented") == (
        "<p>a &lt; b &amp; c</p><p></p><p>  indented</p>"
    )


@pytest.mark.parametrize("text", ["plain", "a < b & c\n\n  indented", "x\n", "<p>typed</p>"])
def test_text_survives_html_and_back(text: str) -> None:
    assert html_to_text(text_to_html(text)) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("<div>Line one</div><div><br></div><div>Line two</div>", "Line one\n\nLine two"),
        ("first<br>second<br/>third", "first\nsecond\nthird"),
        ("<ul><li>DB</li><li>Web</li></ul>", "DB\nWeb"),
        ("<div>\n  <b>Bold</b> and <i>italic</i>\n</div>", "Bold and italic"),
        ("<p>Fish &amp; chips&nbsp;today</p>", "Fish & chips\xa0today"),
        ("<pre>keep\n  this</pre>", "keep\n  this"),
    ],
)
def test_boards_html_becomes_text_lines(value: str, text: str) -> None:
    assert html_to_text(value) == text


def test_text_without_markup_is_returned_unchanged() -> None:
    assert html_to_text("no markup here") == "no markup here"
