"""The HTML parser behind parse_mode=HTML."""

import html

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devtools.localbotapi.html_check import HtmlError, parse_html


@given(st.text())
def test_escaped_text_always_parses_back_to_itself(text):
    assert parse_html(html.escape(text)) == (text, [])
    assert parse_html(html.escape(text, quote=False)) == (text, [])


def test_entities_use_utf16_offsets():
    text, entities = parse_html("😀 <b>Desa</b> <a href='https://x.id/?a=1&amp;b=2'>peta</a>")
    assert text == "😀 Desa peta"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 4},
        {"type": "text_link", "offset": 8, "length": 4, "url": "https://x.id/?a=1&b=2"},
    ]


def test_supported_tags_and_attributes():
    source = (
        "<strong>a</strong><em>b</em><ins>c</ins><del>d</del><tg-spoiler>e</tg-spoiler>"
        '<span class="tg-spoiler">f</span><code>g</code><pre><code class="language-python">h</code></pre>'
        '<blockquote expandable>i</blockquote><tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>'
    )
    text, entities = parse_html(source)
    assert text == "abcdefgh" + "i👍"
    assert [e["type"] for e in entities] == [
        "bold", "italic", "underline", "strikethrough", "spoiler", "spoiler", "code", "pre",
        "expandable_blockquote", "custom_emoji",
    ]  # fmt: skip
    assert entities[7]["language"] == "python"


def test_tags_are_case_insensitive_and_numeric_entities_decode():
    assert parse_html("<B>x</B> &#65;&#x42;") == ("x AB", [{"type": "bold", "offset": 0, "length": 1}])


@pytest.mark.parametrize(
    "source",
    ["<b>", "</b>", "<b><i>x</b></i>", "<br/>", "<b x=>y</b>", "a <", "&copy;", "&#0;", "<a href='x>y"],
)
def test_malformed(source):
    with pytest.raises(HtmlError):
        parse_html(source)
