"""Variable values at one event: built-ins, dataLayer, URL, constant, lookup and regex tables.

`Resolver.value(name)` and `Resolver.render(text)` give what GTM would compute for `{{name}}` and a
template text at the event the resolver was made for. Variable types the simulator cannot compute
(Custom JavaScript, DOM reads, JavaScript globals, custom templates...) give an `Unknown` naming the
variable, unless the scenario supplies a value for it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

from gtmgen.container import (
    BUILT_IN_VARIABLE_TYPES_BY_NAME,
    VARIABLE_REFERENCE,
    Container,
    Parameter,
    Variable,
)
from gtmgen.simulate.conditions import js_regex, js_replace
from gtmgen.simulate.page import Element
from gtmgen.simulate.values import UNDEFINED, Unknown, Value, first_unknown, js_string


@dataclass(frozen=True, slots=True)
class EventState:
    """What variables can read at one event: the page, the dataLayer model, the event name."""

    url: str
    referrer: str
    model: Mapping[str, Any]
    event: str
    cookies: Mapping[str, str] = field(default_factory=dict)


def page_url(url: str) -> str:
    """`location.href` without the fragment, as GTM's Page URL reports it."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=parts.path or "/", fragment="", netloc=parts.netloc.lower()))


def model_get(model: Mapping[str, Any], key: str) -> Value:
    """A dataLayer (version 2) value by dotted key: `ecommerce.value`, `items.0.id`."""
    current: Any = model
    for part in key.split("."):
        if isinstance(current, Mapping) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return UNDEFINED
    return current


def _element_text(model: Mapping[str, Any]) -> Value:
    element = model_get(model, "gtm.element")
    return element.text.strip() if isinstance(element, Element) else UNDEFINED


def _key(name: str) -> Callable[[EventState, Container], Value]:
    return lambda state, _c: model_get(state.model, name)


_KEYS_BY_BUILT_IN = {
    "CLICK_ELEMENT": "gtm.element",
    "FORM_ELEMENT": "gtm.element",
    "CLICK_CLASSES": "gtm.elementClasses",
    "FORM_CLASSES": "gtm.elementClasses",
    "CLICK_ID": "gtm.elementId",
    "FORM_ID": "gtm.elementId",
    "CLICK_TARGET": "gtm.elementTarget",
    "FORM_TARGET": "gtm.elementTarget",
    "CLICK_URL": "gtm.elementUrl",
    "FORM_URL": "gtm.elementUrl",
    "HISTORY_SOURCE": "gtm.historyChangeSource",
    "NEW_HISTORY_FRAGMENT": "gtm.newUrlFragment",
    "OLD_HISTORY_FRAGMENT": "gtm.oldUrlFragment",
    "NEW_HISTORY_STATE": "gtm.newHistoryState",
    "OLD_HISTORY_STATE": "gtm.oldHistoryState",
    "VIDEO_PROVIDER": "gtm.videoProvider",
    "VIDEO_URL": "gtm.videoUrl",
    "VIDEO_TITLE": "gtm.videoTitle",
    "VIDEO_DURATION": "gtm.videoDuration",
    "VIDEO_PERCENT": "gtm.videoPercent",
    "VIDEO_VISIBLE": "gtm.videoVisible",
    "VIDEO_STATUS": "gtm.videoStatus",
    "VIDEO_CURRENT_TIME": "gtm.videoCurrentTime",
    "SCROLL_DEPTH_THRESHOLD": "gtm.scrollThreshold",
    "SCROLL_DEPTH_UNITS": "gtm.scrollUnits",
    "SCROLL_DEPTH_DIRECTION": "gtm.scrollDirection",
    "ELEMENT_VISIBILITY_RATIO": "gtm.visibleRatio",
    "ELEMENT_VISIBILITY_TIME": "gtm.visibleTime",
    "ERROR_MESSAGE": "gtm.errorMessage",
    "ERROR_URL": "gtm.errorUrl",
    "ERROR_LINE": "gtm.errorLine",
}

BuiltIn = Callable[[EventState, Container], Value]
BUILT_INS_BY_TYPE: dict[str, BuiltIn] = {t: _key(k) for t, k in _KEYS_BY_BUILT_IN.items()} | {
    "EVENT": lambda s, _c: s.event,
    "PAGE_URL": lambda s, _c: page_url(s.url),
    "PAGE_HOSTNAME": lambda s, _c: urlsplit(s.url).hostname or "",
    "PAGE_PATH": lambda s, _c: urlsplit(s.url).path or "/",
    "REFERRER": lambda s, _c: s.referrer,
    "CLICK_TEXT": lambda s, _c: _element_text(s.model),
    "FORM_TEXT": lambda s, _c: _element_text(s.model),
    "CONTAINER_ID": lambda _s, c: c.public_id,
    "CONTAINER_VERSION": lambda _s, c: c.version_id,
    "DEBUG_MODE": lambda _s, _c: False,
    "RANDOM_NUMBER": lambda _s, _c: Unknown("{{Random Number}} changes on every read"),
    "HTML_ID": lambda _s, _c: Unknown("{{HTML ID}} exists only inside a running Custom HTML tag"),
    "ENVIRONMENT_NAME": lambda _s, _c: Unknown("{{Environment Name}} depends on the GTM environment"),
}

# What the simulator says about variable types it does not compute (tracking-domain / format §6).
OPAQUE_VARIABLE_TYPES: dict[str, str] = {
    "jsm": "Custom JavaScript",
    "j": "a JavaScript global",
    "d": "a DOM element read",
    "gas": "Universal Analytics settings",
    "vis": "an element visibility read",
    "r": "a random number",
}


class Resolver:
    """Computes variables and templates at one event (one resolver per event; values are cached)."""

    def __init__(
        self,
        container: Container,
        state: EventState,
        overrides: Mapping[str, Any],
        providers: Mapping[str, Callable[[], Value]] | None = None,
    ) -> None:
        self.container = container
        self.state = state
        self.overrides = overrides
        self.providers = providers or {}
        self._variables = {v.name: v for v in container.variables}
        self._cache: dict[str, Value] = {}
        self._stack: list[str] = []

    def value(self, name: str) -> Value:
        """The value of `{{name}}`."""
        if name in self.overrides:
            return self.overrides[name]
        if name not in self._cache:
            if name in self._stack:
                return Unknown(f"{{{{{name}}}}} refers to itself")
            self._stack.append(name)
            try:
                self._cache[name] = self._compute(name)
            finally:
                self._stack.pop()
        return self._cache[name]

    def _compute(self, name: str) -> Value:
        if name == "_event":
            return self.state.event
        if name in self.providers:
            return self.providers[name]()
        variable = self._variables.get(name)
        if variable is not None:
            return _format(self, variable, _evaluate(self, variable))
        built_in = BUILT_IN_VARIABLE_TYPES_BY_NAME.get(name)
        if built_in is not None:
            return BUILT_INS_BY_TYPE[built_in](self.state, self.container)
        return Unknown(f"{{{{{name}}}}} is not a variable of this container")

    def render(self, text: str | None) -> Value:
        """A template: a lone `{{x}}` keeps x's value and type; mixed text is concatenated as strings."""
        text = text or ""
        whole = VARIABLE_REFERENCE.fullmatch(text)
        if whole is not None:
            return self.value(whole.group(1))
        pieces: list[str] = []
        position = 0
        for match in VARIABLE_REFERENCE.finditer(text):
            value = self.value(match.group(1))
            if isinstance(value, Unknown):
                return value
            pieces += [text[position : match.start()], js_string(value)]
            position = match.end()
        return "".join([*pieces, text[position:]])

    def parameter(self, parameter: Parameter) -> Value:
        """A parameter's value: templates rendered, booleans and integers typed, lists and maps nested."""
        if parameter.type == "LIST":
            return [self.parameter(p) for p in parameter.list or ()]
        if parameter.type == "MAP":
            return {p.key or "": self.parameter(p) for p in parameter.map or ()}
        if parameter.type == "BOOLEAN":
            return (parameter.value or "").lower() == "true"
        if parameter.type == "INTEGER" and (parameter.value or "").lstrip("-").isdigit():
            return int(parameter.value or "0")
        if parameter.type in ("TAG_REFERENCE", "TRIGGER_REFERENCE"):
            return parameter.value or ""
        return self.render(parameter.value)


# ---------------------------------------------------------------- variable types


def _param(variable: Variable, key: str) -> Parameter | None:
    return next((p for p in variable.parameter if p.key == key), None)


def _flag(variable: Variable, key: str) -> bool:
    return variable.param(key).lower() == "true"


def _default(resolver: Resolver, variable: Variable) -> Value:
    return resolver.render(variable.param("defaultValue")) if _flag(variable, "setDefaultValue") else UNDEFINED


def _data_layer(resolver: Resolver, variable: Variable) -> Value:
    key = variable.param("name")
    model = resolver.state.model
    found = model.get(key, UNDEFINED) if variable.param("dataLayerVersion", "2") == "1" else model_get(model, key)
    return _default(resolver, variable) if found is UNDEFINED else found


def _constant(resolver: Resolver, variable: Variable) -> Value:
    return resolver.render(variable.param("value"))


def _rows(variable: Variable) -> list[tuple[str, str]]:
    table = _param(variable, "map")
    rows = table.rows() if table is not None else []
    return [(row.get("key", ""), row.get("value", "")) for row in rows]


def _lookup(resolver: Resolver, variable: Variable) -> Value:
    given = resolver.render(variable.param("input"))
    if isinstance(given, Unknown):
        return given
    for key, output in _rows(variable):
        rendered = resolver.render(key)
        if isinstance(rendered, Unknown):
            return rendered
        if js_string(rendered) == js_string(given):
            return resolver.render(output)
    return _default(resolver, variable)


def _regex_table(resolver: Resolver, variable: Variable) -> Value:
    """RegEx table: first row whose pattern matches; `$1` outputs when replaceAfterMatch is on."""
    given = resolver.render(variable.param("input"))
    if isinstance(given, Unknown):
        return given
    text = js_string(given)
    full, replace = _flag(variable, "fullMatch"), _flag(variable, "replaceAfterMatch")
    for pattern, output in _rows(variable):
        compiled = js_regex(f"^(?:{pattern})$" if full else pattern, _flag(variable, "ignoreCase"))
        if isinstance(compiled, Unknown):
            return compiled
        match = compiled.search(text)
        if match is None:
            continue
        rendered = resolver.render(output)
        if not replace or isinstance(rendered, Unknown):
            return rendered
        # GTM replaces the matched text (String.prototype.replace), keeping the rest of the input.
        return text[: match.start()] + js_replace(match, js_string(rendered)) + text[match.end() :]
    return _default(resolver, variable)


def url_component(url: str, component: str, query_key: str = "", strip_www: bool = False) -> Value:
    """One component of a URL, as GTM's URL variable returns it."""
    parts = urlsplit(url)
    host = (parts.hostname or "").removeprefix("www." if strip_www else "\0")
    simple: dict[str, Value] = {
        "URL": page_url(url),
        "PROTOCOL": parts.scheme,
        "HOST": host,
        "PORT": str(parts.port) if parts.port else {"https": "443", "http": "80"}.get(parts.scheme, ""),
        "PATH": parts.path or "/",
        "FRAGMENT": parts.fragment,
    }
    if component in simple:
        return simple[component]
    if component == "QUERY":
        if not query_key:
            return parts.query
        return next((v for k, v in parse_qsl(parts.query, keep_blank_values=True) if k == query_key), UNDEFINED)
    return Unknown(f"URL component {component} is not simulated")


def _url(resolver: Resolver, variable: Variable) -> Value:
    source = variable.param("customUrlSource")
    url = resolver.render(source) if source else resolver.state.url
    if isinstance(url, Unknown):
        return url
    component = variable.param("component", "URL")
    return url_component(js_string(url), component, variable.param("queryKey"), _flag(variable, "stripWww"))


def _cookie(resolver: Resolver, variable: Variable) -> Value:
    found = resolver.state.cookies.get(variable.param("name"))
    if found is None:
        return UNDEFINED
    return unquote(found) if _flag(variable, "decodeCookie") else found


_AUTO_EVENT_KEYS = {
    "ELEMENT": "gtm.element",
    "CLASSES": "gtm.elementClasses",
    "ID": "gtm.elementId",
    "TARGET": "gtm.elementTarget",
}


def _auto_event(resolver: Resolver, variable: Variable) -> Value:
    kind = variable.param("varType")
    model = resolver.state.model
    if kind in _AUTO_EVENT_KEYS:
        found = model_get(model, _AUTO_EVENT_KEYS[kind])
    elif kind == "TEXT":
        found = _element_text(model)
    elif kind == "URL":
        url = model_get(model, "gtm.elementUrl")
        found = UNDEFINED if url is UNDEFINED else url_component(js_string(url), variable.param("component", "URL"))
    else:
        return Unknown(f"auto-event variable {{{{{variable.name}}}}} ({kind}) is not simulated")
    return _default(resolver, variable) if found in (UNDEFINED, "") else found


def _user_data(resolver: Resolver, variable: Variable) -> Value:
    if variable.param("mode") != "MANUAL":
        return Unknown(f"{{{{{variable.name}}}}} collects user data from the page automatically")
    fields = {p.key: resolver.render(p.value) for p in variable.parameter if p.key not in ("mode", None)}
    fields = {k: v for k, v in fields.items() if not isinstance(v, bool) and k != "enableElementBlocking"}
    return first_unknown(*fields.values()) or {k: v for k, v in fields.items() if v not in (UNDEFINED, "")}


def _settings(resolver: Resolver, variable: Variable) -> Value:
    table = _param(variable, "eventSettingsTable") or _param(variable, "configSettingsTable")
    if table is None:
        return {}
    return {row.get("parameter", ""): resolver.render(row.get("parameterValue")) for row in table.rows()}


EVALUATORS_BY_TYPE: dict[str, Callable[[Resolver, Variable], Value]] = {
    "v": _data_layer,
    "c": _constant,
    "smm": _lookup,
    "remm": _regex_table,
    "u": _url,
    "k": _cookie,
    "aev": _auto_event,
    "awec": _user_data,
    "gtes": _settings,
    "gtcs": _settings,
    "uv": lambda _r, _v: UNDEFINED,
    "e": lambda r, _v: r.state.event,
    "f": lambda r, _v: r.state.referrer,
}


def _evaluate(resolver: Resolver, variable: Variable) -> Value:
    evaluator = EVALUATORS_BY_TYPE.get(variable.type)
    if evaluator is not None:
        return evaluator(resolver, variable)
    what = OPAQUE_VARIABLE_TYPES.get(variable.type)
    if what is None and variable.type.startswith("cvt_"):
        what = "a custom template variable"
    return Unknown(f"{{{{{variable.name}}}}} is {what or f'a variable of type {variable.type!r}'}")


def _format(resolver: Resolver, variable: Variable, value: Value) -> Value:
    """Apply a variable's formatValue (case conversion, null/undefined/true/false replacements)."""
    fmt = variable.format_value if isinstance(variable.format_value, dict) else {}
    replacements = {"convertNullToValue": None, "convertUndefinedToValue": UNDEFINED}
    for key, when in replacements.items():
        spec = fmt.get(key)
        if value is when and isinstance(spec, dict):
            value = resolver.render(str(spec.get("value", "")))
    for key, flag in (("convertTrueToValue", True), ("convertFalseToValue", False)):
        spec = fmt.get(key)
        if value is flag and isinstance(spec, dict):
            value = resolver.render(str(spec.get("value", "")))
    case = fmt.get("caseConversionType")
    if isinstance(value, str) and case in ("LOWERCASE", "UPPERCASE"):
        return value.lower() if case == "LOWERCASE" else value.upper()
    return value
