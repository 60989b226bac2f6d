"""The city benchmark runs end to end at the tiny size (a smoke check: no time is asserted)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


def test_city_benchmark_runs(tmp_path):
    from bench import __main__ as bench_main

    rows = bench_main.discover()["city"].run("tiny", tmp_path)
    assert len(rows) == 14
    for r in rows:
        assert r["ours"] > 0 and r["baseline"] > 0
        assert r["ratio"] == pytest.approx(r["ours"] / r["baseline"])
    assert "city load of 2 counties × 30 projects" in rows[0]["benchmark"]
    assert rows[0]["unit"] == "events/s" and rows[1]["unit"] == "MiB"
    # the load's row is the round of the median ratio of the floor and the load taken in turn
    rounds = rows[0]["rounds"]
    assert len(rounds) == 3 and sorted(x["ratio"] for x in rounds)[1] == pytest.approx(rows[0]["ratio"])
    assert rows[0]["seconds"] in [x["load_s"] for x in rounds] and "the median of 3 rounds" in rows[0]["benchmark"]
    # every row was checked: the floor recomputed every stored hash, the city holds every event,
    # the month's bundle added events, the ranking lists every county with equal figures
    assert all(r["equal"] is True for r in rows)
    # the month of several counties (here the two), in workers against one by one
    assert "2 counties' months, --workers 2 vs one by one" in rows[3]["benchmark"] and rows[3]["met"] is None
    # the county at a province's depth: its first load, its month's bundle and their memory
    assert "40 projects" in rows[5]["benchmark"] and rows[5]["unit"] == "s"
    assert "month" in rows[6]["benchmark"] and rows[6]["baseline"] == rows[5]["ours"]
    assert rows[7]["unit"] == "MiB" and all(r["met"] is None for r in rows[5:])
    assert [r.get("deep") for r in rows] == [None, None, None, "months", None, "first", "month", "memory", *[None] * 6]
    # where one county's first load goes: each step on its own against reading and hashing its bundle
    steps = {r["step"]: r for r in rows[8:]}
    assert list(steps) == ["read", "checks", "figures", "copy", "worker", "store"]
    assert len({r["baseline"] for r in steps.values()}) == 1 and all(r["met"] is None for r in steps.values())
    # a worker's whole part is the read, the checks, the figures and the copy (and the project rows)
    parts = sum(steps[s]["ours"] for s in ("read", "checks", "figures", "copy"))
    assert 0.5 * parts < steps["worker"]["ours"] < 2 * parts
