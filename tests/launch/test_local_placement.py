"""Placement: constraints against this host's attributes, resources against its capacity."""

from __future__ import annotations

import asyncio

import pytest

from metronome.launch import HostResources
from metronome.launch._placement import constraints_match
from metronome.model import Constraint, ConstraintOperator, TaskStatus
from tests.launch.conftest import spec, wait_until

S = TaskStatus
IS, LIKE, UNLIKE = ConstraintOperator.IS, ConstraintOperator.LIKE, ConstraintOperator.UNLIKE
HOST = {"hostname": "node-1.example", "rack": "r1"}


@pytest.mark.parametrize(
    ("constraint", "matches"),
    [
        (Constraint("hostname", IS, "node-1.example"), True),
        (Constraint("hostname", IS, "node-2.example"), False),
        (Constraint("rack", LIKE, "r[0-9]"), True),
        (Constraint("rack", LIKE, "r"), False),  # a full match is required
        (Constraint("rack", UNLIKE, "r[2-9]"), True),
        (Constraint("rack", UNLIKE, "r.*"), False),
        (Constraint("zone", IS, "z1"), False),  # the host lacks the attribute
        (Constraint("zone", IS), True),  # no value: ignored
        (Constraint("rack", LIKE, "("), False),  # an invalid pattern matches nothing
    ],
)
def test_constraints_match(constraint: Constraint, matches: bool) -> None:
    assert constraints_match([constraint], HOST) is matches


async def test_matching_constraints_launch(make_launcher) -> None:
    launcher, updates = await make_launcher()
    constraints = (Constraint("hostname", IS, "node-1.example"), Constraint("rack", LIKE, "r.*"))
    launcher.launch("c1", spec(cmd="true", constraints=constraints))
    assert (await updates.final("c1")).status is S.TASK_FINISHED


async def test_unmatched_constraints_keep_the_task_queued(make_launcher) -> None:
    launcher, updates = await make_launcher()
    launcher.launch("c2", spec(cmd="true", constraints=(Constraint("rack", UNLIKE, "r1"),)))
    launcher.launch("c3", spec(cmd="true"))  # not held back by the unplaceable one
    assert (await updates.final("c3")).status is S.TASK_FINISHED
    assert launcher.queued() == ["c2"]
    assert updates.of("c2") == []


async def test_tasks_wait_for_capacity_in_fifo_order(make_launcher) -> None:
    launcher, updates = await make_launcher(capacity=HostResources(cpus=1.0, mem=1024, disk=1024))
    launcher.launch("first", spec(cmd="sleep 0.3", cpus=0.6))
    launcher.launch("second", spec(cmd="true", cpus=0.6))
    launcher.launch("third", spec(cmd="true", cpus=0.3))  # would fit, but waits its turn
    await updates.reached("first", S.TASK_RUNNING)
    await asyncio.sleep(0.05)
    assert launcher.queued() == ["second", "third"]
    assert updates.of("second") == []

    await updates.final("third")
    first_end = (await updates.final("first")).timestamp
    second_staged = updates.of("second")[0]
    assert second_staged.status is S.TASK_STAGING
    assert second_staged.timestamp >= first_end
    assert launcher.queued() == []


async def test_a_task_larger_than_the_host_stays_queued(make_launcher) -> None:
    launcher, updates = await make_launcher(capacity=HostResources(cpus=1.0, mem=64, disk=0))
    launcher.launch("huge", spec(cmd="true", mem=128))
    launcher.launch("small", spec(cmd="true", mem=16))
    assert (await updates.final("small")).status is S.TASK_FINISHED
    await wait_until(lambda: launcher.queued() == ["huge"])
