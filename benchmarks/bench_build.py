"""Benchmark: how compile time and container size grow with the number of page-group entries.

Run: `python benchmarks/bench_build.py [--sizes 10,100,1000,10000] [--repeat 3]`. Not a test:
timings depend on the machine. For each size it builds two generated specs: one with N listed
page-group entries (one path each, spread over services/problems/brands), one where the same
N pages are covered by path patterns (`/locations/{location}/` and friends). It prints the
best-of-`repeat` time of each stage and the container size as GTM counts it (compact JSON)
and as written (the export file).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml

from gtmgen.build import build_spec, container_size
from gtmgen.compile import compile_site
from gtmgen.conformance import check_container
from gtmgen.export import container_to_export, dump_export
from gtmgen.spec import SiteSpec, spec_from_data

T = TypeVar("T")
KINDS = ("services", "problems", "brands")

BASE: dict[str, Any] = {
    "version": 1,
    "site": {"name": "Benchmark Roofing", "domain": "bench.example"},
    "platforms": {
        "ga4": {"measurement_id": "G-BENCH12345"},
        "google_ads": {"conversion_id": "AW-123456789"},
        "meta": {"pixel_id": "123456789012345"},
    },
    "conversions": [
        {"name": "Lead form", "kind": "form_submission", "when": {"plugin": "contact_form_7"},
         "value": 100, "currency": "USD", "google_ads": {"label": "LeAdFoRm1"}},
        {"name": "Phone call", "kind": "phone_call", "when": {"link_click": "tel"},
         "google_ads": {"label": "PhOnE1234"}},
    ],
    "signals": {"engaged_time": {"seconds": 30}, "scroll_depth": {"percents": [50, 90]}, "form_start": True},
}  # fmt: skip


def listed_spec(n: int) -> dict[str, Any]:
    """N page-group entries, each one listed path."""
    groups: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KINDS}
    for i in range(n):
        kind = KINDS[i % len(KINDS)]
        groups[kind].append({"name": f"{kind} {i}", "slug": f"{kind}-{i}", "paths": [f"/{kind}/item-{i}/"]})
    return BASE | {"page_groups": groups}


def pattern_spec(n: int) -> dict[str, Any]:
    """The same kinds of pages, covered by patterns: the spec does not grow with N."""
    return BASE | {
        "page_groups": {
            "locations": [{"name": "Cities", "pattern": "/locations/{location}/"}],
            "services": [{"name": "Services", "pattern": "/services/{service}/"}],
            "professionals": [{"name": "Team", "pattern": "/team/{professional}/"}],
        }
    }


def best_of(repeat: int, run: Callable[[], T]) -> tuple[float, T]:
    """The shortest of `repeat` runs, in seconds, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    assert result is not None
    return best, result


def measure(label: str, n: int, data: dict[str, Any], repeat: int, folder: Path) -> str:
    spec: SiteSpec = spec_from_data(data)
    compile_s, container = best_of(repeat, lambda: compile_site(spec))
    check_s, findings = best_of(repeat, lambda: check_container(container))
    assert not findings, findings[:3]
    export_s, data_bytes = best_of(repeat, lambda: dump_export(container_to_export(container, "2000-01-01 00:00:00")))
    size = container_size(container_to_export(container, "2000-01-01 00:00:00"))
    path = folder / f"{label}-{n}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    total_s, _ = best_of(1, lambda: _full_build(path))
    return (
        f"| {label:<7} | {n:>6} | {compile_s * 1000:>9.1f} | {check_s * 1000:>9.1f} | {export_s * 1000:>8.1f} "
        f"| {total_s * 1000:>10.1f} | {size / 1024:>9.1f} | {len(data_bytes) / 1024:>9.1f} |"
    )


def _full_build(path: Path) -> object:
    """`gtmgen build` without the write: load + validate + compile + check + export (size limit off)."""
    import gtmgen.build as core

    limit, core.SIZE_LIMIT = core.SIZE_LIMIT, 1 << 40
    try:
        return build_spec(path)
    finally:
        core.SIZE_LIMIT = limit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,1000,10000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print("| spec    | pages  | compile ms | check ms | export ms | build ms* | size KB | file KB |")
    print("|---------|-------:|-----------:|---------:|----------:|----------:|--------:|--------:|")
    with tempfile.TemporaryDirectory() as folder:
        for n in (int(s) for s in args.sizes.split(",")):
            print(measure("listed", n, listed_spec(n), args.repeat, Path(folder)), flush=True)
            print(measure("pattern", n, pattern_spec(n), args.repeat, Path(folder)), flush=True)
    print("* build = load YAML + validate + compile + conformance check + export, as `gtmgen build` does")


if __name__ == "__main__":
    main()
