"""The starter scenario file `gtmgen init` writes next to a starter spec.

It is derived from the spec it accompanies, compiled: one scenario per conversion (its success
signal fires each of its tags exactly once, with one shared event id), an ordinary page that
converts nothing, and the consent-denied case. So it passes `gtmgen test` as written, and shows
the scenario language on the user's own site.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from gtmgen.container import Container
from gtmgen.simulate.scenario import SCENARIO_SUFFIX
from gtmgen.spec import Conversion, SiteSpec

HEADER = """\
# Tracking scenarios for {spec}: `gtmgen test {folder}` runs them (no browser, no network).
# Each scenario loads a page, does what a visitor does, and states which tags must fire
# (how often, with which values) and which must not. Add one whenever you add a conversion.
"""
EXAMPLE_VALUE = 100


class _Dumper(yaml.SafeDumper):
    """Block YAML with list items indented under their key, as people write it."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def scenario_path(spec_path: Path) -> Path:
    """`site.yaml` -> `site.tracking.yaml`, next to the spec."""
    return spec_path.with_name(spec_path.stem + SCENARIO_SUFFIX)


def _nested(key: str, value: Any) -> dict[str, Any]:
    head, _, rest = key.partition(".")
    return {head: _nested(rest, value) if rest else value}


def success_steps(spec: SiteSpec, conversion: Conversion) -> tuple[str, list[dict[str, Any]]] | None:
    """The page and the scenario steps of a conversion's success signal (None: no sample page)."""
    when = conversion.when
    origin = f"https://{spec.site.domain}"
    page = origin + (when.page_path if when.page_path and when.page_path.startswith("/") else "/")
    if when.thank_you_page is not None:
        return (origin + when.thank_you_page, []) if when.thank_you_match != "regex" else None
    if when.datalayer_event is not None:
        push: dict[str, Any] = {"event": when.datalayer_event}
        if conversion.value_from_datalayer:
            push |= _nested(conversion.value_from_datalayer, EXAMPLE_VALUE)
        return page, [{"push": push}]
    if when.plugin is not None:
        plugin: Any = {"name": when.plugin, "form_id": when.form_id} if when.form_id else when.plugin
        return page, [{"plugin": plugin}]
    if when.link_click is not None:
        href = "tel:+15550100" if when.link_click == "tel" else f"mailto:info@{spec.site.domain}"
        return page, [{"click": href}]
    return (page, [{"visible": when.element_visible}]) if when.element_visible else None


def conversion_tags(container: Container, index: int) -> list[str]:
    """The vendor tags gtmgen compiled for `conversions[index]` (not its listener)."""
    source = re.compile(rf"^source: conversions\[{index}\]", re.MULTILINE)
    return [t.name for t in container.tags if source.search(t.notes) and not t.name.startswith("Listener - ")]


def _conversion_scenario(spec: SiteSpec, container: Container, index: int) -> dict[str, Any] | None:
    conversion = spec.conversions[index]
    signal = success_steps(spec, conversion)
    tags = conversion_tags(container, index)
    if signal is None or not tags:
        return None
    value = EXAMPLE_VALUE if conversion.value_from_datalayer else conversion.value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    values = {k: v for k, v in (("value", value), ("currency", conversion.currency)) if v is not None}
    fires = [{"tag": name, "times": 1} | ({"with": dict(values)} if values else {}) for name in tags]
    expect: dict[str, Any] = {"fires": fires}
    if len(tags) > 1:
        expect["same_event_id"] = tags
    page, steps = signal
    scenario: dict[str, Any] = {"name": f"{conversion.name} is one conversion on every platform", "page": page}
    return scenario | ({"steps": steps} if steps else {}) | {"expect": expect}


def _consent_scenario(spec: SiteSpec, container: Container) -> dict[str, Any] | None:
    needs = {t.name for t in container.tags if t.consent is not None and t.consent.status == "NEEDED"}
    for index, conversion in enumerate(spec.conversions):
        signal = success_steps(spec, conversion)
        blocked = [name for name in conversion_tags(container, index) if name in needs]
        if signal is None or not blocked:
            continue
        page, steps = signal
        return {
            "name": f"With ad consent denied, {conversion.name} skips the tags that need consent",
            "page": page,
            "consent": {"ad_storage": "denied", "ad_user_data": "denied", "ad_personalization": "denied"},
            **({"steps": steps} if steps else {}),
            "expect": {"not_fires": blocked},
        }
    return None


def render_scenarios(spec: SiteSpec, container: Container, spec_path: Path) -> str:
    """The starter scenario file for a spec and its compiled container."""
    scenarios: list[dict[str, Any]] = [
        {
            "name": "An ordinary page converts nothing",
            "page": f"https://{spec.site.domain}/about-us/",
            "expect": {"no_conversions": True},
        }
    ]
    scenarios += [s for i in range(len(spec.conversions)) if (s := _conversion_scenario(spec, container, i))]
    consent = _consent_scenario(spec, container)
    scenarios += [consent] if consent else []
    document = {"target": spec_path.name, "consent": "granted", "scenarios": scenarios}
    body = yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    body = body.replace("\n  - name: ", "\n\n  - name: ")
    header = HEADER.format(spec=spec_path.name, folder=str(spec_path.parent) if spec_path.parent != Path() else ".")
    return header + "\n" + body


def starter_scenario_file(spec_path: Path, spec_text: str) -> tuple[Path, str]:
    """The scenario file for a starter spec `gtmgen init` has rendered (and validated)."""
    from gtmgen.compile import compile_site
    from gtmgen.loader import load_text
    from gtmgen.spec import spec_from_data

    spec = spec_from_data(load_text(spec_text, str(spec_path)).data, str(spec_path))
    return scenario_path(spec_path), render_scenarios(spec, compile_site(spec), spec_path)
