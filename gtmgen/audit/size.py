"""An estimate of a container's size against GTM's 200 KB limit (tracking-domain.md §7.1).

GTM measures the compiled container, which the export does not contain. The estimate counts
what is compiled into it: tags, triggers and variables as compact JSON without the metadata
GTM keeps out of the page (ids, fingerprints, notes, folders), and each custom template's
sandboxed code and permissions, without comments and runs of whitespace. It is an estimate:
GTM's own indicator (Versions page) is authoritative.
"""

from __future__ import annotations

import json
import re
from typing import Any

from gtmgen.container import Container, CustomTemplate
from gtmgen.export import container_to_export

LIMIT_BYTES = 200 * 1024
WARN_RATIO = 0.7  # GTM's own indicator warns from about 70 %
_METADATA_KEYS = frozenset(
    "fingerprint accountId containerId notes parentFolderId monitoringMetadata path tagManagerUrl".split()
)
_SECTION = re.compile(r"^(___[A-Z_]+___)\s*$", re.M)
_COMPILED_SECTIONS = frozenset({"___SANDBOXED_JS_FOR_WEB_TEMPLATE___", "___WEB_PERMISSIONS___"})


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in _METADATA_KEYS}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def _compact(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"^\s*//.*$", "", text, flags=re.M)
    return re.sub(r"\s+", " ", text).strip()


def template_code_size(template: CustomTemplate) -> int:
    """Bytes of a template that end up in the compiled container."""
    parts = _SECTION.split(template.template_data)
    sections = zip(parts[1::2], parts[2::2], strict=False)
    return sum(len(_compact(body).encode()) for name, body in sections if name in _COMPILED_SECTIONS)


def estimate_size(container: Container) -> int:
    """Estimated bytes of the compiled container."""
    version = container_to_export(container, "")["containerVersion"]
    entities = {k: _strip(version.get(k, [])) for k in ("tag", "trigger", "variable")}
    config = len(json.dumps(entities, separators=(",", ":"), ensure_ascii=False).encode())
    return config + sum(template_code_size(t) for t in container.custom_templates)
