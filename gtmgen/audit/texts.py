"""Reading tag texts without running them: event-name words, fbq calls in Custom HTML, object
keys a script sets, two-column tables, and which custom templates are Meta's or set consent.

Pure text functions shared by the audit's facts and the importer.
"""

from __future__ import annotations

import itertools
import re

from gtmgen.container import CustomTemplate
from gtmgen.names import GA4_CONVERSION_EVENTS

# Words of an event name that say it reports an outcome; matched as whole words of the name
# (`book_now`, `bookNow`), never inside another word (`ebook_download`, `facebook_click`).
OUTCOME_WORDS = frozenset(
    "lead leads purchase signup contact book booking bookings booked appointment appointments schedule "
    "scheduled quote quotes conversion whatsapp".split()
)
_NAME_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


# `fbq("method", first[, "second"]...)`: first/second quoted literals or (first) an expression.
_FBQ_CALL = re.compile(r"""fbq\(\s*(['"])(\w+)\1\s*,\s*(['"][^'"]*['"]|[^,()]+?)\s*(?:,\s*(['"][^'"]*['"]))?\s*[,)]""")
_PIXEL_LIST = re.compile(r"""=\s*\[((?:\s*['"][^'"]+['"]\s*,?)+)\]""")
_QUOTED = re.compile(r"""['"]([^'"]*)['"]""")


_META_TEMPLATE_REPOS = frozenset({"GoogleTagManager-WebTemplate-For-FacebookPixel", "fb-tag"})


def name_words(name: str) -> list[str]:
    """The lower-case words of a name: split at non-letters and camelCase humps (`signUp_form` ->
    sign, up, form); two neighbours that make one outcome word (`sign`, `up`) also count joined."""
    words = [w.lower() for w in _NAME_WORD.findall(name)]
    return words + [a + b for a, b in itertools.pairwise(words)]


def is_ga4_conversion_event(name: str) -> bool:
    return name in GA4_CONVERSION_EVENTS or not OUTCOME_WORDS.isdisjoint(name_words(name))


def _unquote(text: str | None) -> str | None:
    found = _QUOTED.fullmatch(text.strip()) if text else None
    return found.group(1) if found else None


def html_meta_calls(html: str) -> list[tuple[str, str, str]]:
    """The fbq calls of a Custom HTML tag as (method, pixel id, event), in order. A pixel passed
    as an expression (a loop over `var pixels = [...]`) stands for each id of that literal list."""
    listed = [q for found in _PIXEL_LIST.findall(html) for q in _QUOTED.findall(found)]
    calls: list[tuple[str, str, str]] = []
    for match in _FBQ_CALL.finditer(html):
        method, first, second = match.group(2), _unquote(match.group(3)), _unquote(match.group(4))
        if method == "init":
            calls.extend(("init", pixel, "") for pixel in ([first] if first is not None else listed))
        elif method in ("trackSingle", "trackSingleCustom"):
            calls.extend((method, pixel, second or "") for pixel in ([first] if first is not None else listed))
        else:
            calls.append((method, "", first or ""))
    return calls


def is_meta_template(template: CustomTemplate | None) -> bool:
    if template is None:
        return False
    gallery = template.gallery_reference if isinstance(template.gallery_reference, dict) else {}
    if gallery.get("repository") in _META_TEMPLATE_REPOS:
        return True
    return bool(re.search(r"facebook|meta pixel", template.name, re.I))


def is_consent_template(template: CustomTemplate | None) -> bool:
    return template is not None and "setDefaultConsentState" in template.template_data


# Table columns seen in exports: GA4 settings, the Meta template's lists, lookup tables.
_TABLE_COLUMNS = (("parameter", "parameterValue"), ("name", "value"), ("key", "value"), ("fieldName", "value"))
_HTML_OBJECT_KEY = re.compile(r"""['"]?(\w+)['"]?\s*:""")
_HTML_SET_KEY = re.compile(r"""\w\s*(?:\[\s*['"](\w+)['"]\s*\]|\.(\w+))\s*=(?!=)""")


def html_object_keys(html: str) -> list[str]:
    """Keys a script writes into objects: literal keys (`{value: 1}`) and assignments
    (`params["value"] = 1`, `params.value = 1`)."""
    assigned = [bracket or dot for bracket, dot in _HTML_SET_KEY.findall(html)]
    return [*_HTML_OBJECT_KEY.findall(html), *assigned]


def table_fields(rows: list[dict[str, str]]) -> dict[str, str]:
    """Rows of a two-column table as `name -> value`."""
    out: dict[str, str] = {}
    for row in rows:
        for left, right in _TABLE_COLUMNS:
            if left in row:
                out[row[left]] = row.get(right, "")
                break
    return out
