"""A test harness that runs a container's Custom HTML in headless Chromium the way GTM would.

The simulator decides which tags fire at which event; this harness runs the Custom HTML of those
tags in a real page served from 127.0.0.1, in that order, with GTM's variable substitution:
dataLayer variables read the page's real `window.dataLayer`, Custom JavaScript variables run
their own code, `{{Event}}` is the event being processed, and the other variables take the
simulator's values. Vendor endpoints are stubbed: `fbevents.js` is replaced by a recorder of
`fbq` calls, any other non-local request is answered empty and recorded.
"""

from __future__ import annotations

import json
import re
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from gtmgen.container import VARIABLE_REFERENCE, Container
from gtmgen.simulate import EventResult, TagFiring, Timeline
from gtmgen.simulate.values import Unknown, to_json

BROWSER_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-dev-shm-usage",
]

FBEVENTS_STUB = """
(function () {
  var calls = window.__fbqCalls = window.__fbqCalls || [];
  var fbq = window.fbq;
  fbq.callMethod = function () {
    calls.push(JSON.parse(JSON.stringify(Array.prototype.slice.call(arguments))));
  };
  var queued = fbq.queue.splice(0);
  for (var i = 0; i < queued.length; i++) { fbq.callMethod.apply(fbq, queued[i]); }
  window.__fbeventsLoads = (window.__fbeventsLoads || 0) + 1;
})();
"""

# GTM's runtime as far as the harness needs it: the current event and a dataLayer model reader.
GTM_RUNTIME = """
window.dataLayer = window.dataLayer || [];
window.__gtm = {
  event: "", id: 0,
  model: function () {
    var model = {};
    function merge(target, source) {
      for (var key in source) {
        var value = source[key];
        if (value && typeof value === "object" && !Array.isArray(value)) {
          if (!target[key] || typeof target[key] !== "object") { target[key] = {}; }
          merge(target[key], value);
        } else { target[key] = value; }
      }
    }
    for (var i = 0; i < window.dataLayer.length; i++) {
      var item = window.dataLayer[i];
      if (item && Object.prototype.toString.call(item) === "[object Object]") { merge(model, item); }
    }
    return model;
  },
  dlv: function (key, fallback) {
    if (key === "gtm.uniqueEventId") { return window.__gtm.id; }
    var value = window.__gtm.model();
    var parts = key.split(".");
    for (var i = 0; i < parts.length; i++) {
      if (value === null || value === undefined) { return fallback; }
      value = value[parts[i]];
    }
    return value === undefined ? fallback : value;
  }
};
"""

_SCRIPT = re.compile(r"<script[^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE)


def chromium_path() -> str | None:
    """Debian's chromium (the only browser the tests use; never downloaded)."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


class _Pages(BaseHTTPRequestHandler):
    body = b"<!doctype html><html><head><title>test</title></head><body><form id='f'></form></body></html>"

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *_args: Any) -> None:
        pass


@contextmanager
def local_site() -> Iterator[str]:
    """An HTTP server on 127.0.0.1 serving one plain page at every path; yields its origin."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class GtmPage:
    """One browser page running a container's Custom HTML under the harness."""

    page: Any
    container: Container
    external: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    # ------------------------------------------------------------ substitution

    def expression(self, name: str, firing: TagFiring, depth: int = 0) -> str:
        """The JavaScript that stands for `{{name}}` in a tag's code, as GTM would evaluate it."""
        variable = self.container.variable_named(name)
        if name in ("Event", "_event"):
            return "window.__gtm.event"
        if variable is not None and variable.type == "v":
            return f"window.__gtm.dlv({json.dumps(variable.param('name'))})"
        if variable is not None and variable.type == "jsm" and depth < 5:
            return f"({self.substitute(variable.param('javascript'), firing, depth + 1)})()"
        value = firing.variables.get(name)
        if isinstance(value, Unknown) or name not in firing.variables:
            raise AssertionError(f"{firing.name}: the simulator has no value for {{{{{name}}}}}: {value}")
        return json.dumps(to_json(value))

    def substitute(self, code: str, firing: TagFiring, depth: int = 0) -> str:
        return VARIABLE_REFERENCE.sub(lambda m: self.expression(m.group(1), firing, depth), code)

    # ------------------------------------------------------------ running

    def start_event(self, event: EventResult) -> None:
        self.page.evaluate(
            "([name, id]) => { window.__gtm.event = name; window.__gtm.id = id; }", [event.name, event.number]
        )

    def run_tag(self, firing: TagFiring) -> None:
        """Run one fired Custom HTML tag's scripts in the page."""
        tag = self.container.tag_named(firing.name)
        assert tag is not None
        for body in _SCRIPT.findall(tag.param("html")):
            self.page.add_script_tag(content=self.substitute(body, firing))

    def run_event(self, event: EventResult) -> list[str]:
        """Process one simulated event: its Custom HTML tags in the simulator's order."""
        self.start_event(event)
        ran = [f.name for f in event.fired if f.type == "html"]
        for firing in event.fired:
            if firing.type == "html":
                self.run_tag(firing)
        return ran

    def datalayer(self) -> list[Any]:
        """window.dataLayer with gtag() `arguments` objects as arrays."""
        is_arguments = "Object.prototype.toString.call(i) === '[object Arguments]'"
        script = f"() => window.dataLayer.map(i => ({is_arguments}) ? Array.from(i) : i)"
        return list(self.page.evaluate(script))

    def fbq_calls(self) -> list[list[Any]]:
        """Every fbq call the stubbed fbevents.js received (waits for the stub to load)."""
        if self.page.evaluate("() => typeof window.fbq === 'function'"):
            self.page.wait_for_function("() => window.__fbeventsLoads >= 1", timeout=10_000)
        return list(self.page.evaluate("() => window.__fbqCalls || []"))


def _route(external: list[str]) -> Any:
    def handle(route: Any) -> None:
        url = route.request.url
        host = urlsplit(url).hostname or ""
        if host == "127.0.0.1":
            route.continue_()
        elif url.endswith("/fbevents.js"):
            route.fulfill(status=200, content_type="application/javascript", body=FBEVENTS_STUB)
        else:
            external.append(url)
            route.fulfill(status=204, body="")

    return handle


@contextmanager
def gtm_page(browser: Any, origin: str, container: Container, timeline: Timeline) -> Iterator[GtmPage]:
    """A fresh page at the timeline's first URL (on the local site), with stubs and the runtime."""
    context = browser.new_context()
    harness = GtmPage(context.new_page(), container)
    context.route("**/*", _route(harness.external))
    harness.page.on("pageerror", lambda error: harness.errors.append(str(error)))
    first = next(timeline.events()).page
    parts = urlsplit(first)
    harness.page.goto(origin + (parts.path or "/") + (f"?{parts.query}" if parts.query else ""))
    harness.page.add_script_tag(content=GTM_RUNTIME)
    try:
        yield harness
    finally:
        context.close()
