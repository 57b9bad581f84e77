"""A product's rich description: the small, safe subset of HTML an operator may enter.

Operators paste descriptions from their editors; what is stored is always the output of
`clean_description`, so the product page can show it as it is. Allowed: paragraphs and line breaks,
bold and italic, two heading sizes, lists, and pictures served from the site's own media (MEDIA_URL).
Everything else — scripts, styles, event handlers, links, pictures from other hosts or other schemes
(`javascript:`, `data:`) — is removed. Plain text (no tags at all) becomes paragraphs, so descriptions
written before rich text keep their line breaks. The sanitiser is nh3 (ammonia, an html5ever parser):
it parses like a browser does, so a malformed tag cannot sneak past it.
"""

from __future__ import annotations

import re
from posixpath import normpath
from urllib.parse import unquote, urlsplit

import nh3
from django.conf import settings
from django.utils.html import linebreaks

ALLOWED_TAGS = frozenset({"p", "br", "strong", "b", "em", "i", "h3", "h4", "ul", "ol", "li", "img"})
ALLOWED_ATTRIBUTES = {"img": {"src", "alt", "width", "height"}}
# Removed together with what they contain, not just the tag.
DROPPED_WITH_CONTENT = frozenset({"script", "style", "iframe", "object", "embed", "template", "noscript", "svg", "math"})
MAX_DESCRIPTION_CHARS = 20000

_TAG_RE = re.compile(r"<\s*/?\s*[a-zA-Z!]")
_BLOCK_RE = re.compile(r"<\s*(p|br|div|ul|ol|li|h[1-6]|table|blockquote|pre)\b", re.IGNORECASE)
_DIMENSION_RE = re.compile(r"^[0-9]{1,4}$")


def own_media_url(value: str) -> bool:
    """Whether `value` is a path under the site's own MEDIA_URL (no host, no scheme, no way out)."""
    media = settings.MEDIA_URL
    if not media.startswith("/") or media.startswith("//"):
        return False  # media on another host: no picture in a description can be vouched for
    if any(ch in value for ch in "\\\x00\t\r\n ") or value.startswith("//"):
        return False
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.query or parts.fragment:
        return False
    path = unquote(parts.path)
    if ".." in path.split("/") or not path.startswith(media):
        return False
    return normpath(path).startswith(media.rstrip("/") + "/")


def _attribute_filter(element: str, attribute: str, value: str) -> str | None:
    if element == "img" and attribute == "src":
        return value if own_media_url(value) else None
    if element == "img" and attribute in ("width", "height"):
        return value if _DIMENSION_RE.match(value) else None
    return value


def clean_description(text: str | None) -> str:
    """The stored form of an operator's description: sanitised HTML, or paragraphs made from plain
    text. Idempotent: cleaning a cleaned description changes nothing."""
    text = (text or "").strip()
    if not text:
        return ""
    if not _TAG_RE.search(text):
        text = linebreaks(text, autoescape=True)
    elif not _BLOCK_RE.search(text):
        # Inline tags only (a bold word in typed text): the typed line breaks still make paragraphs.
        text = linebreaks(text, autoescape=False)
    cleaned = nh3.clean(
        text,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=_attribute_filter,
        url_schemes=set(),
        strip_comments=True,
        link_rel=None,
    )
    # A picture whose source was refused is dropped whole rather than left as an empty frame.
    cleaned = re.sub(r"<img(?![^>]*\ssrc=)[^>]*>", "", cleaned)
    cleaned = re.sub(r"<p>\s*</p>", "", cleaned)  # and a paragraph left with nothing in it
    return cleaned.strip()
