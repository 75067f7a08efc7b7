"""Import time: ``import codex_open_client`` against ``import openai``, in fresh interpreters.

Each statement runs as ``python -c "<statement>"`` in a new subprocess (after one untimed run
that also writes any missing bytecode caches); the wall time of the best of ``--repeat`` runs
is kept, and the bare ``python -c pass`` start-up is subtracted to get the import's own cost.
``--detail`` also lists the slowest modules ``python -X importtime`` reports for our import.

Target: our import <= 0.15x openai's (net of interpreter start-up). ``--check`` exits 1 on a
miss.

Usage: ``python tests/benchmarks/bench_import.py [--repeat 7] [--detail] [--json out.json]
[--check]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Sequence

from _common import print_table, report_checks

TARGET = 0.15
STATEMENTS = {
    "python -c pass": "pass",
    "import codex_open_client": "import codex_open_client",
    "import openai": "import openai",
}


def run_once(statement: str) -> float:
    """Seconds one fresh interpreter takes to run ``statement`` and exit."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", statement], check=True, env=_env())
    return time.perf_counter() - start


def _env() -> dict[str, str]:
    env = dict(os.environ)
    # A stray PYTHONPROFILEIMPORTTIME or -W setting would distort the timing.
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    env.pop("PYTHONWARNINGS", None)
    # Users import from bytecode caches; without them every run would compile the package
    # (an editable install has no caches until a run may write them).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def best_of(statement: str, repeat: int) -> float:
    run_once(statement)  # warm: page cache and __pycache__
    return min(run_once(statement) for _ in range(repeat))


def importtime(statement: str, top: int) -> list[tuple[str, int, int]]:
    """(module, self us, cumulative us) of the ``top`` slowest top-level-ish imports."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", statement],
        check=True,
        capture_output=True,
        text=True,
        env=_env(),
    )
    rows = []
    for line in result.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cumulative_us, name = line[len("import time:") :].split("|")
        rows.append((name.rstrip()[1:], int(self_us), int(cumulative_us)))
    rows.sort(key=lambda row: row[1], reverse=True)
    return rows[:top]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="timed runs of each statement")
    parser.add_argument("--detail", action="store_true", help="show -X importtime hot spots")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args(argv)

    print(f"Python {platform.python_version()} on {platform.platform()}")
    print(f"Best of {args.repeat} fresh interpreters each, after 1 untimed run")
    seconds: dict[str, float | None] = {}
    for label, statement in STATEMENTS.items():
        try:
            seconds[label] = best_of(statement, args.repeat)
        except subprocess.CalledProcessError:
            print(f"{label!r} failed: skipping it", file=sys.stderr)
            seconds[label] = None

    baseline = seconds["python -c pass"] or 0.0
    rows = []
    for label, value in seconds.items():
        if value is None:
            rows.append([label, "-", "-"])
        elif label == "python -c pass":
            rows.append([label, f"{value * 1000:.1f}", "(baseline)"])
        else:
            rows.append([label, f"{value * 1000:.1f}", f"{(value - baseline) * 1000:.1f}"])
    print()
    print_table(["statement", "wall ms", "net ms (minus baseline)"], rows)

    ours = seconds["import codex_open_client"]
    theirs = seconds["import openai"]
    checks: list[tuple[str, bool]] = []
    ratio = None
    if ours is not None and theirs is not None and theirs > baseline:
        ratio = max(ours - baseline, 0.0) / (theirs - baseline)
        ok = ratio <= TARGET
        checks.append((f"import ratio {ratio:.3f} > {TARGET:g}", ok))
        print()
        print_table(
            ["ratio (net)", "value", "target", "verdict"],
            [
                [
                    "codex_open_client / openai",
                    f"{ratio:.3f}",
                    f"<= {TARGET:g}",
                    "ok" if ok else "MISSED",
                ]
            ],
            "lrrl",
        )
    else:
        print("\nopenai could not be imported: ratio not measured (pip install openai)")
        checks.append(("import ratio not measured", False))

    if args.detail:
        print("\nSlowest modules (self time) for `import codex_open_client` (-X importtime):")
        detail = importtime("import codex_open_client", 12)
        print_table(
            ["module", "self us", "cumulative us"],
            [[name, f"{s:,}", f"{c:,}"] for name, s, c in detail],
        )

    if args.json:
        with open(args.json, "w", encoding="utf-8") as file:
            json.dump(
                {
                    "benchmark": "import",
                    "python": platform.python_version(),
                    "repeat": args.repeat,
                    "seconds": seconds,
                    "ratio": ratio,
                    "target": TARGET,
                    "targets_met": all(ok for _, ok in checks),
                },
                file,
                indent=2,
            )
        print(f"\nWrote {args.json}")
    return report_checks(checks, args.check)


if __name__ == "__main__":
    sys.exit(main())
