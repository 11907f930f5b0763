"""Helpers for the compiler's tests: loading specs, running generated JavaScript in node."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

from gtmgen.compile import compile_site
from gtmgen.container import Container
from gtmgen.spec import SiteSpec, spec_from_data

NODE = shutil.which("node")
GTM_REFERENCE = re.compile(r"\{\{([^{}]+)\}\}")


def load_spec(path: Path) -> SiteSpec:
    """The validated spec (the foundation's loader), or the model straight from YAML while
    that loader is not importable."""
    try:
        from gtmgen.validate import load_spec as validated
    except ImportError:
        return spec_from_data(yaml.safe_load(path.read_text(encoding="utf-8")), str(path))
    return validated(path)


def spec_from_yaml(text: str) -> SiteSpec:
    return spec_from_data(yaml.safe_load(text), "<test>")


def compile_yaml(text: str) -> Container:
    return compile_site(spec_from_yaml(text))


def script_body(html: str) -> str:
    """The JavaScript inside a Custom HTML tag's single <script> element."""
    match = re.fullmatch(r"\s*<script>(.*)</script>\s*", html, re.DOTALL)
    assert match, "a Custom HTML tag is exactly one <script> element"
    assert "</script" not in match.group(1).lower(), "the script must not close its own element"
    return match.group(1)


def with_gtm_stubs(javascript: str) -> str:
    """Replace each GTM `{{Variable}}` by a call to `__gtm("Variable")` (a stub the harness defines)."""
    return GTM_REFERENCE.sub(lambda m: f"__gtm({json.dumps(m.group(1))})", javascript)


def run_node(program: str) -> Any:
    """Run a JavaScript program in node; it prints one JSON value, which is returned."""
    assert NODE is not None
    done = subprocess.run([NODE, "-e", program], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def node_check(javascript: str) -> None:
    """Fail unless node parses the script."""
    assert NODE is not None
    done = subprocess.run([NODE, "--check"], input=javascript, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr


# A browser-like global scope for running generated scripts: window/document stubs that record
# what the scripts do (dataLayer pushes, fbq calls, event listeners).
BROWSER_STUB = r"""
var calls = [];
var listeners = {};
var storage = {};
var window = globalThis;
window.location = {origin: "https://www.example.com", pathname: "/thank-you/", search: ""};
window.sessionStorage = {getItem: function (k) { return storage.hasOwnProperty(k) ? storage[k] : null; },
                         setItem: function (k, v) { storage[k] = String(v); }};
function listen(key, fn) { (listeners[key] = listeners[key] || []).push(fn); }
window.addEventListener = function (type, fn) { listen("window:" + type, fn); };
var document = {
  addEventListener: function (type, fn) { listen("document:" + type, fn); },
  createElement: function () { return {}; },
  getElementsByTagName: function () { return [{parentNode: {insertBefore: function () {}}}]; },
  head: {appendChild: function () {}}
};
window.document = document;
function args(a) { return Array.prototype.slice.call(a); }
function fire(target, type, event) { (listeners[target + ":" + type] || []).forEach(function (fn) { fn(event); }); }
"""
