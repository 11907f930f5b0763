"""Benchmark: loading and validating specs of growing size (`gtmgen validate`'s work).

Run: `python benchmarks/bench_validate.py [--sizes 10,100,1000,10000] [--repeat 3]`. Not a test:
timings depend on the machine. For each size N it writes a spec with N listed page-group entries
(five lines of YAML each, all checked for overlapping paths) and prints the
best-of-`repeat` time of each stage: YAML with positions (libyaml, and PyYAML alone), the JSON
Schema, the semantic rules, and the whole `validate_file`.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

import yaml

from gtmgen import loader
from gtmgen.loader import load_text
from gtmgen.rules import semantic_diagnostics
from gtmgen.validate import schema_diagnostics, validate_file

KINDS = ("services", "problems", "brands")


def spec_text(n: int) -> str:
    groups: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KINDS}
    for i in range(n):
        kind = KINDS[i % len(KINDS)]
        groups[kind].append({"name": f"{kind} {i}", "slug": f"{kind}-{i}", "paths": [f"/{kind}/item-{i}/"]})
    spec = {
        "version": 1,
        "site": {"name": "Benchmark Roofing", "domain": "bench.example.com"},
        "platforms": {"ga4": {"measurement_id": "G-BENCH12345"}, "google_ads": {"conversion_id": "AW-123456789"}},
        "page_groups": groups | {"locations": [{"name": "Cities", "pattern": "/locations/{location}/"}]},
        "conversions": [
            {"name": "Lead", "kind": "lead", "when": {"datalayer_event": "lead"}, "google_ads": {"label": "LeAd1234"}}
        ],
    }
    return yaml.safe_dump(spec, sort_keys=False)


def best(repeat: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times) * 1000


def pure_python_load(text: str) -> object:
    with mock.patch.object(loader, "_FastLoader", None):
        return load_text(text, "bench.yaml")


def measure(n: int, repeat: int, folder: Path) -> list[str]:
    text = spec_text(n)
    path = folder / f"bench-{n}.yaml"
    path.write_text(text, encoding="utf-8")
    document = load_text(text, str(path))
    row = [
        best(repeat, lambda: load_text(text, str(path))),
        best(repeat, lambda: pure_python_load(text)),
        best(repeat, lambda: schema_diagnostics(document)),
        best(repeat, lambda: semantic_diagnostics(document)),
        best(repeat, lambda: validate_file(path)),
    ]
    return [str(n), str(text.count("\n")), *(f"{ms:.1f}" for ms in row)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,1000,10000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    header = ["entries", "lines", "load ms", "load (PyYAML) ms", "schema ms", "rules ms", "validate ms"]
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---:" for _ in header) + "|")
    with tempfile.TemporaryDirectory() as folder:
        for n in (int(s) for s in args.sizes.split(",")):
            print("| " + " | ".join(measure(n, args.repeat, Path(folder))) + " |")


if __name__ == "__main__":
    main()
