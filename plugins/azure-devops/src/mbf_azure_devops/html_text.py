"""Boards' HTML fields (Description) to plain text and back, without losing line breaks."""

from __future__ import annotations

import html
from html.parser import HTMLParser

__all__ = ["html_to_text", "text_to_html"]

_BLOCKS = frozenset(
    {
        "p",
        "div",
        "li",
        "ul",
        "ol",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "tr",
        "table",
        "pre",
        "blockquote",
    }
)


def text_to_html(text: str) -> str:
    """Plain text as Boards HTML: one ``<p>`` per line, special characters escaped."""
    if not text:
        return ""
    return "".join(f"<p>{html.escape(line, quote=False)}</p>" for line in text.split("\n"))


def html_to_text(value: str) -> str:
    """Plain text of a Boards HTML value: block elements and ``<br>`` become line breaks.

    Text without markup is returned unchanged; what :func:`text_to_html` wrote takes a fast path.
    """
    if "<" not in value:
        return value
    if value.startswith("<p>") and value.endswith("</p>"):
        text = value[3:-4].replace("</p><p>", "\n")
        if "<" not in text:
            # No entity spans a line break, so unescaping the joined lines unescapes each line.
            return html.unescape(text)
    parser = _TextCollector()
    parser.feed(value)
    parser.close()
    return parser.text()


class _TextCollector(HTMLParser):
    """Collects text, starting a new line at every block boundary and ``<br>``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._lines: list[str] = []
        self._current: list[str] = []
        self._open_blocks: list[int] = []  # number of lines when each open block started
        self._in_pre = 0
        self._pending_space = False

    def _flush(self) -> None:
        self._lines.append("".join(self._current))
        self._current = []
        self._pending_space = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self._flush()
        elif tag in _BLOCKS:
            if self._current:
                self._flush()
            self._open_blocks.append(len(self._lines))
            self._in_pre += tag == "pre"

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag not in _BLOCKS:
            return
        started_at = self._open_blocks.pop() if self._open_blocks else len(self._lines)
        # An empty block is an empty line, unless a <br> or inner block already ended its line.
        if self._current or len(self._lines) == started_at:
            self._flush()
        self._in_pre -= tag == "pre" and self._in_pre > 0

    def handle_data(self, data: str) -> None:
        if "\n" in data and not self._in_pre:
            # Source formatting between tags, not text: HTML renders it as a space at most, and
            # only between words.
            if not data.strip():
                self._pending_space = bool(self._current)
                return
            data = data.replace("\r\n", "\n").replace("\n", " ")
        if self._pending_space:
            self._current.append(" ")
            self._pending_space = False
        self._current.append(data)

    def text(self) -> str:
        """The collected text, lines joined with ``\\n``."""
        if self._current:
            self._flush()
        return "\n".join(self._lines)
