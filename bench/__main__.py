"""Run the benchmarks and print our figure, the baseline measured in the same run, and the ratio.

    python -m bench [--size tiny|small|full] [--no-page] [NAME ...]

Each ``bench/bench_*.py`` module defines ``NAME`` and ``run(size, workdir) -> list[dict]`` where each
row is ``{"benchmark", "ours", "baseline", "unit", "ratio", "goal", "met"}``: ``ours`` and
``baseline`` are numbers in ``unit`` (seconds, or events/s, …), ``ratio`` is ours/baseline as the goal
states it, ``goal`` a text such as "≤ 1.5×", ``met`` True/False.  ``tiny`` is the CI smoke size:
it runs every code path and asserts no time.

A full run of every benchmark (the default, ``make bench``) also writes its table and the machine's
facts into the generated section of ``docs/performance.md`` (``bench/page.py``); ``--no-page`` skips it.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
import tempfile
import time
from pathlib import Path

import bench
from bench import page

SIZES = ("tiny", "small", "full")


def discover() -> dict[str, object]:
    mods = {}
    for info in pkgutil.iter_modules(bench.__path__):
        if info.name.startswith("bench_"):
            mod = importlib.import_module(f"bench.{info.name}")
            mods[getattr(mod, "NAME", info.name[6:])] = mod
    return mods


def compile_sources() -> None:
    """Byte-compile our packages first, as an install does: with ``PYTHONDONTWRITEBYTECODE`` set (or
    a read-only tree) every timed command would otherwise compile our sources from scratch, a cost
    no installed copy pays and the baselines (installed packages, compiled) never see."""
    import compileall

    root = Path(bench.__path__[0]).parent
    for package in ("workflow", "cli"):
        compileall.compile_dir(root / package, quiet=1)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    ap.add_argument("--size", choices=SIZES, default="full", help="data sizes (tiny is a CI smoke check)")
    ap.add_argument("--json", action="store_true", help="print the rows as JSON")
    ap.add_argument("--no-page", action="store_true",
                    help="do not write docs/performance.md (a full run of every benchmark does)")
    ap.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    args = ap.parse_args(argv)
    mods = discover()
    unknown = set(args.names) - set(mods)
    if unknown:
        ap.error(f"unknown benchmark {', '.join(sorted(unknown))}; known: {', '.join(sorted(mods))}")
    compile_sources()
    load = page.load_average()  # before our own work adds to it
    rows = []
    for name in args.names or sorted(mods):
        with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
            t0 = time.perf_counter()
            print(f"… {name} ({args.size})", file=sys.stderr, flush=True)
            for row in mods[name].run(args.size, Path(tmp)):
                rows.append(row)
            print(f"  {name} took {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    if page_wanted := (page.page_wanted(args.size, args.names) and not args.no_page):
        written = page.write_page(rows, page.PAGE, size=args.size, load=load)
        print(f"wrote the results into {written}", file=sys.stderr, flush=True)
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    headers = page.HEADERS
    table = page.table_rows(rows)
    widths = [max(len(str(x[i])) for x in [headers, *table]) for i in range(len(headers))]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in table:
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) + " |")
    if not page_wanted:
        print("(docs/performance.md not written: only a full run of every benchmark writes it)",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
