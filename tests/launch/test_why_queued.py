"""Why a queued task waits, judged on offers (pure: real offer JSON as the fake master sends)."""

from __future__ import annotations

from typing import Any

from metronome.launch._why_queued import on_mesos
from metronome.model import Constraint, ConstraintOperator, RunSpec


def offer(cpus: float, mem: float, rack: str) -> dict[str, Any]:
    scalars = {"cpus": cpus, "mem": mem, "disk": 1000.0}
    return {
        "id": {"value": f"o-{rack}"},
        "agent_id": {"value": f"a-{rack}"},
        "hostname": f"host-{rack}",
        "resources": [
            {"name": name, "type": "SCALAR", "scalar": {"value": value}, "role": "*"}
            for name, value in scalars.items()
        ],
        "attributes": [{"name": "rack", "type": "TEXT", "text": {"value": rack}}],
    }


OFFERS = [offer(4, 100, "a"), offer(1, 8000, "b")]


def test_no_offer_yet() -> None:
    reason = on_mesos(RunSpec(cpus=1, mem=10, disk=0), [], "*")
    assert reason == "waiting for an offer: none received since the launcher started"


def test_a_constraint_no_offer_matches() -> None:
    spec = RunSpec(1, 10, 0, constraints=(Constraint("rack", ConstraintOperator.IS, "c"),))
    assert on_mesos(spec, OFFERS, "*") == (
        "no offer fits: constraint rack IS c matches none of the last offers"
    )


def test_more_than_the_largest_offer() -> None:
    assert on_mesos(RunSpec(cpus=64, mem=10, disk=0), OFFERS, "*") == (
        "no offer fits: cpus 64 wanted, 4 in the largest of the last offers"
    )


def test_enough_of_each_but_not_in_one_offer() -> None:
    assert on_mesos(RunSpec(cpus=2, mem=1000, disk=0), OFFERS, "*") == (
        "no offer fits: none of the last offers has cpus 2, mem 1000, disk 0 together"
    )


def test_one_that_fits_waits_for_the_next_offer() -> None:
    assert on_mesos(RunSpec(cpus=1, mem=10, disk=0), OFFERS, "*") == (
        "waiting for the next offer (an earlier run took the last one)"
    )
