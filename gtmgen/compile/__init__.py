"""The compiler: a validated `SiteSpec` becomes a GTM web `Container`, wired by construction.

One module per concern, each returning a `Part` (entities that refer to each other by name):
`consent` (consent mode v2 default), `google` (Google tags, linker, GA4 and Ads tags),
`meta` (Meta Pixel base and events), `audiences` (page groups -> RegEx tables), `triggers`
(success triggers and plugin listeners), `conversions` (one trigger -> every platform, shared
event id), `signals` (audience events). `ids.assemble` merges the parts, drops what nothing
uses, assigns stable ids and enables the built-in variables the container references.
"""

from __future__ import annotations

from gtmgen.compile.audiences import compile_audiences
from gtmgen.compile.consent import compile_consent
from gtmgen.compile.conversions import compile_conversions
from gtmgen.compile.google import compile_google
from gtmgen.compile.ids import assemble
from gtmgen.compile.meta import compile_meta
from gtmgen.compile.parts import Part, combine
from gtmgen.compile.signals import compile_signals
from gtmgen.container import Container
from gtmgen.spec import SiteSpec

STAGES = (compile_consent, compile_google, compile_meta, compile_audiences, compile_conversions, compile_signals)


def compile_parts(spec: SiteSpec) -> Part:
    """Every stage's entities, before ids (references by name)."""
    return combine(stage(spec) for stage in STAGES)


def compile_site(spec: SiteSpec) -> Container:
    """The GTM web container for a validated spec."""
    return assemble(spec, compile_parts(spec))


__all__ = ["compile_site"]
