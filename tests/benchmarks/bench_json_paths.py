"""Both JSON paths side by side: the 20k-delta stream with orjson and with the stdlib.

Runs ``bench_throughput.py`` (``AsyncClient stream``, ``aiohttp floor`` and ``AsyncOpenAI``,
server in its own process) in two child processes: one as the environment is (the package uses
orjson when it is installed: the ``speedups`` extra), one with ``CODEX_OPEN_CLIENT_JSON=stdlib``
(the package's stdlib path). Each ratio divides by the floor and by AsyncOpenAI measured in the
same child, so the machine's drift between the children cancels out. The floor is raw aiohttp
and stdlib ``json.loads`` in both children; AsyncOpenAI does not read the variable.

Targets: AsyncClient/floor >= 0.85 with orjson, >= 0.75 with the stdlib; AsyncClient/AsyncOpenAI
>= 20 on both paths, judged on the median over the rounds of each round's ratio (the contenders
of a round run one after the other, so this resists a busy machine; the ratio of the best
rounds is shown too). ``--check`` exits 1 on a miss; ``--rounds K`` alternates the two children
K times.

Usage: ``python tests/benchmarks/bench_json_paths.py [--deltas 20000] [--repeat 5] [--rounds 1]
[--server-thread] [--verbose] [--json out.json] [--check]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from _common import print_table, report_checks

HERE = Path(__file__).resolve().parent
SDK = "AsyncClient stream"
FLOOR = "aiohttp floor"
OPENAI = "AsyncOpenAI"
#: (label, environment overrides, minimum AsyncClient/floor, minimum AsyncClient/AsyncOpenAI)
PATHS: tuple[tuple[str, dict[str, str], float, float], ...] = (
    ("orjson", {}, 0.85, 20.0),
    ("stdlib", {"CODEX_OPEN_CLIENT_JSON": "stdlib"}, 0.75, 20.0),
)


def run_throughput(
    env_overrides: dict[str, str], args: argparse.Namespace
) -> tuple[dict[str, Any], str]:
    """One child running bench_throughput.py; its JSON result and its stdout."""
    env = {k: v for k, v in os.environ.items() if k != "CODEX_OPEN_CLIENT_JSON"}
    env.update(env_overrides)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "throughput.json"
        warnings = [f"-W{option}" for option in sys.warnoptions]
        command = [sys.executable, *warnings, str(HERE / "bench_throughput.py")]
        command += ["--deltas", str(args.deltas), "--repeat", str(args.repeat)]
        command += ["--only", SDK, FLOOR, OPENAI, "--json", str(out)]
        if not args.server_thread:
            command.append("--server-process")
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if args.verbose or done.returncode != 0 or not out.exists():
            print(done.stdout)
            print(done.stderr, file=sys.stderr)
        if not out.exists():
            raise SystemExit(f"bench_throughput.py exited {done.returncode} without a result")
        result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
        return result, done.stdout


def paired_ratio(runs: list[dict[str, Any]], other: str) -> float | None:
    """Median over all rounds of all runs of (AsyncClient events/s / ``other``'s) in that round."""
    ratios = []
    for result in runs:
        contenders = result["contenders"]
        if SDK not in contenders or other not in contenders:
            continue
        mine, theirs = contenders[SDK]["seconds"], contenders[other]["seconds"]
        if len(mine) == len(theirs):  # a contender that failed a round has fewer
            ratios += [t / m for m, t in zip(mine, theirs, strict=True) if m > 0]
    return statistics.median(ratios) if ratios else None


def ratio_cell(
    checks: list[tuple[str, bool]],
    what: str,
    best: float | None,
    median: float | None,
    minimum: float,
) -> str:
    """Record the check ``median >= minimum``; the table cell."""
    if median is None:
        checks.append((f"{what} not measured", False))
        return "not measured"
    ok = median >= minimum
    checks.append((f"{what} = {median:.2f} < {minimum:g} (median of rounds)", ok))
    shown = "-" if best is None else f"{best:.2f}"
    return f"{shown}, {median:.2f} (>= {minimum:g}: {'ok' if ok else 'MISSED'})"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deltas", type=int, default=20_000, help="text deltas in the stream")
    parser.add_argument("--repeat", type=int, default=5, help="timed rounds in each child")
    parser.add_argument("--rounds", type=int, default=1, help="times each child is run")
    parser.add_argument(
        "--server-thread",
        action="store_true",
        help="serve from a thread of each child (bench_throughput's default) instead of a process",
    )
    parser.add_argument("--verbose", action="store_true", help="print each child's own report")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args(argv)

    started = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    load = " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "-"
    print(
        f"{started}; Python {platform.python_version()} on {platform.platform()}, "
        f"{os.cpu_count()} CPUs, load average {load}"
    )
    print(
        f"bench_throughput.py, {args.deltas:,} deltas, best of {args.repeat} rounds per child, "
        f"{args.rounds} run(s) of each child, server in "
        + ("a thread of each child" if args.server_thread else "its own process")
    )
    # best events/s per (path, contender), each child's JSON path, and its per-round seconds
    best: dict[str, dict[str, float]] = {label: {} for label, *_ in PATHS}
    backends: dict[str, set[str]] = {label: set() for label, *_ in PATHS}
    raw: dict[str, list[dict[str, Any]]] = {label: [] for label, *_ in PATHS}
    for _ in range(args.rounds):
        for label, env, _, _ in PATHS:
            print(f"  {label} child ...", file=sys.stderr, flush=True)
            result, _stdout = run_throughput(env, args)
            raw[label].append(result)
            backends[label].add(str(result.get("json_backend", "?")))
            for name, data in result["contenders"].items():
                rate = data.get("events_per_second")
                if rate is not None:
                    best[label][name] = max(best[label].get(name, 0.0), rate)

    rows = []
    checks: list[tuple[str, bool]] = []
    summary: dict[str, Any] = {}
    for label, _, floor_min, openai_min in PATHS:
        rates = best[label]
        backend = ", ".join(sorted(backends[label]))
        if backend != label:
            checks.append((f"the {label} child ran the {backend} JSON path", False))
        sdk, floor, openai = rates.get(SDK), rates.get(FLOOR), rates.get(OPENAI)
        cells = []
        summary[label] = {"json_backend": backend, "events_per_second": rates}
        for other, minimum in ((FLOOR, floor_min), (OPENAI, openai_min)):
            what = f"{label}: AsyncClient/{other}"
            best_ratio = sdk / rates[other] if sdk and rates.get(other) else None
            paired = paired_ratio(raw[label], other)
            summary[label][f"sdk_over_{other}"] = {"best": best_ratio, "median_of_rounds": paired}
            cells.append(ratio_cell(checks, what, best_ratio, paired, minimum))
        rows.append(
            [
                label,
                backend,
                "-" if sdk is None else f"{sdk:,.0f}",
                "-" if floor is None else f"{floor:,.0f}",
                "-" if openai is None else f"{openai:,.0f}",
                *cells,
            ]
        )
    print()
    headers = ["child", "JSON path", "AsyncClient ev/s", "floor ev/s", "AsyncOpenAI ev/s"]
    headers += ["AsyncClient/floor: best, median", "AsyncClient/AsyncOpenAI: best, median"]
    print_table(headers, rows, "llrrrll")
    print(
        "(events/s: best round of the stream consumed to its final Response; ratios: best = "
        "best events/s over best events/s; median = the median over the rounds of each round's "
        "ratio (bench_throughput interleaves the contenders, so a round's pair ran side by side: "
        "robust to a busy machine), and the verdict is on it; every ratio uses the floor and "
        "AsyncOpenAI of the same child; the floor is stdlib json.loads in both)"
    )
    if "orjson" not in backends["orjson"]:
        print("orjson is not installed: pip install 'codex-open-client[speedups]'", file=sys.stderr)
    print(f"\nFinished {time.strftime('%Y-%m-%d %H:%M:%S %Z')}.")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as file:
            json.dump(
                {
                    "benchmark": "json_paths",
                    "started": started,
                    "deltas": args.deltas,
                    "paths": summary,
                    "runs": raw,
                    "targets_met": all(ok for _, ok in checks),
                },
                file,
                indent=2,
            )
        print(f"Wrote {args.json}")
    return report_checks(checks, args.check)


if __name__ == "__main__":
    sys.exit(main())
