"""The pure parts (RecordIO, constraints, master detection, TaskInfo) and the fake master's HTTP
rules."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from metronome.launch import (
    HostResources,
    LaunchError,
    ZkAddress,
    master_address,
    parse_master,
    zk_leader,
)
from metronome.launch._mesos_config import ContainerKind
from metronome.launch._mesos_offers import OfferSpace, constraints_match, format_scalar
from metronome.launch._mesos_recordio import RecordIODecoder, RecordIOError, encode
from metronome.launch._mesos_tasks import task_info, to_update
from metronome.model import (
    Artifact,
    Constraint,
    ConstraintOperator,
    Docker,
    TaskStatus,
    Volume,
    VolumeMode,
)
from tests.launch.conftest import spec

OP = ConstraintOperator


def test_recordio_counts_bytes_and_survives_any_chunking() -> None:
    events = [{"type": "SUBSCRIBED", "x": "é" * 3}, {"type": "HEARTBEAT"}]
    data = b"".join(encode(e) for e in events)
    assert data.startswith(b"%d\n" % len(json.dumps(events[0], separators=(",", ":")).encode()))
    decoder = RecordIODecoder()
    decoded = [record for i in range(len(data)) for record in decoder.feed(data[i : i + 1])]
    assert decoded == events
    with pytest.raises(RecordIOError):
        RecordIODecoder().feed(b"12x\n{}")


@pytest.mark.parametrize(
    ("constraint", "matches"),
    [
        (Constraint("rack", OP.IS, "rack-2"), True),
        (Constraint("rack", OP.LIKE, "rack-[1-3]"), True),
        (Constraint("rack", OP.LIKE, "rack"), False),  # full match only
        (Constraint("zone", OP.UNLIKE, "z.*"), True),  # a missing attribute only matches UNLIKE
        (Constraint("zone", OP.IS, "a"), False),
        (Constraint("level", OP.IS, "0.80"), True),  # numbers are normalised
        (Constraint("slots", OP.IS, "[1-10]"), True),
        (Constraint("hostname", OP.LIKE, r"agent[0-9]+\.example\.com"), True),
        (Constraint("rack", OP.IS, None), True),  # no value: dropped
    ],
)
def test_constraints_follow_marathon(constraint: Constraint, matches: bool) -> None:
    offer = {
        "hostname": "agent1.example.com",
        "attributes": [
            {"name": "rack", "type": "TEXT", "text": {"value": "rack-2"}},
            {"name": "level", "type": "SCALAR", "scalar": {"value": 0.8}},
            {"name": "slots", "type": "RANGES", "ranges": {"range": [{"begin": 1, "end": 10}]}},
        ],
    }
    assert constraints_match([constraint], offer) is matches


def test_scalars_format_like_java_decimal_format() -> None:
    assert [format_scalar(v) for v in (2.0, 0.8, 1.0005, 1.1005, 100.0)] == [
        "2",
        "0.8",
        "1",
        "1.101",
        "100",
    ]


def test_offer_space_takes_resources_keeping_their_allocation() -> None:
    alloc = {"allocation_info": {"role": "jobs"}}
    offer = {"id": {"value": "o1"}, "agent_id": {"value": "s1"}, "hostname": "h", "resources": [
        {"name": "cpus", "type": "SCALAR", "scalar": {"value": 1.0}, "role": "*", **alloc},
        {"name": "mem", "type": "SCALAR", "scalar": {"value": 100.0}, "role": "*", **alloc},
    ]}  # fmt: skip
    space = OfferSpace(offer, "jobs")
    taken = space.take(HostResources(0.6, 64.0, 0.0))
    assert taken == [
        {"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.6}, "role": "*", **alloc},
        {"name": "mem", "type": "SCALAR", "scalar": {"value": 64.0}, "role": "*", **alloc},
    ]
    assert space.take(HostResources(0.6, 1.0, 0.0)) is None
    assert OfferSpace(offer, "other").take(HostResources(0.1, 1.0, 0.0)) is None


def test_offer_space_splits_the_root_disk_takes_a_mount_whole_and_never_a_volume() -> None:
    def disk(mb: float, **info: Any) -> dict[str, Any]:
        return {"name": "disk", "type": "SCALAR", "scalar": {"value": mb}, **info}

    mount = disk(1000.0, disk={"source": {"type": "MOUNT", "mount": {"root": "/mnt/a"}}})
    small = disk(300.0, disk={"source": {"type": "MOUNT", "mount": {"root": "/mnt/b"}}})
    volume = disk(9000.0, disk={"persistence": {"id": "pv"}, "volume": {"mode": "RW"}})
    cpus = {"name": "cpus", "type": "SCALAR", "scalar": {"value": 4.0}}
    resources = [cpus, disk(100.0), mount, small, volume]
    offer = {"id": {"value": "o"}, "agent_id": {"value": "s"}, "resources": resources}
    space = OfferSpace(offer, "*")
    assert space.take(HostResources(0.1, 0.0, 60.0)) == [
        {**cpus, "scalar": {"value": 0.1}}, disk(60.0),
    ]  # fmt: skip
    assert space.take(HostResources(0.1, 0.0, 200.0)) == [{**cpus, "scalar": {"value": 0.1}}, small]
    assert space.take(HostResources(0.1, 0.0, 200.0)) == [{**cpus, "scalar": {"value": 0.1}}, mount]
    assert space.take(HostResources(0.1, 0.0, 200.0)) is None  # only the volume is left


def test_master_urls_and_zookeeper_nodes() -> None:
    assert parse_master("http://m1:5050,m2") == ("m1:5050", "m2:5050")
    assert parse_master("zk://u:p@z1:2181,z2:2181/mesos") == ZkAddress(
        "z1:2181,z2:2181", "/mesos", "u:p"
    )
    with pytest.raises(LaunchError):
        parse_master("zk://z1:2181/")
    info = {"hostname": "m2.example", "port": 5050, "address": {"ip": "10.0.0.12", "port": 5051}}
    data = {"json.info_0000000004": json.dumps(info).encode(), "json.info_0000000012": b"{}"}
    children = ["log_replicas", "json.info_0000000012", "json.info_0000000004"]
    assert zk_leader(children, data.__getitem__) == "10.0.0.12:5051"
    assert zk_leader(["log_replicas"], data.__getitem__) is None
    assert master_address(b'{"hostname": "m1", "port": 5050}') == "m1:5050"


def test_task_info_from_a_run_spec() -> None:
    run = spec(
        args=("run", "--fast"), env={"A": "1"}, user="jobs", task_kill_grace_period_s=2,
        artifacts=(Artifact("http://x/a.tgz"),), docker=Docker("img:1", force_pull_image=True),
        volumes=(Volume("/data", "/srv", VolumeMode.RO),),
    )  # fmt: skip
    task_id = "prod_app_20240601120000aB3xY.0b6c"
    info = task_info(
        task_id,
        run,
        agent_id="s1",
        hostname="h1",
        resources=[],
        container_kind=ContainerKind.DOCKER,
    )
    assert info["name"] == "20240601120000aB3xY.app.prod"
    command = info["command"]
    assert (command["shell"], command["arguments"], "value" in command) == (
        False,
        ["run", "--fast"],
        False,
    )
    assert {"name": "A", "value": "1"} in command["environment"]["variables"]
    assert command["uris"] == [
        {"value": "http://x/a.tgz", "extract": True, "executable": False, "cache": False}
    ]
    assert command["user"] == "jobs"
    assert info["container"]["docker"]["image"] == "img:1"
    assert info["container"]["volumes"] == [
        {"container_path": "/data", "host_path": "/srv", "mode": "RO"}
    ]
    assert info["kill_policy"] == {"grace_period": {"nanoseconds": 2_000_000_000}}
    assert {"key": "metronome.job_id", "value": "prod.app"} in info["labels"]["labels"]
    ucr = task_info(
        task_id, run, agent_id="s1", hostname="h", resources=[], container_kind=ContainerKind.MESOS
    )
    assert ucr["container"]["mesos"]["image"] == {
        "type": "DOCKER",
        "docker": {"name": "img:1"},
        "cached": False,
    }


@pytest.mark.parametrize(
    ("state", "ours"),
    [("TASK_KILLING", TaskStatus.TASK_RUNNING), ("TASK_ERROR", TaskStatus.TASK_FAILED),
     ("TASK_GONE", TaskStatus.TASK_LOST), ("TASK_UNREACHABLE", TaskStatus.TASK_LOST),
     ("TASK_DROPPED", TaskStatus.TASK_LOST), ("TASK_KILLED", TaskStatus.TASK_KILLED)],
)  # fmt: skip
def test_mesos_states_map_to_ours(state: str, ours: TaskStatus) -> None:
    update = to_update({"task_id": {"value": "t"}, "state": state, "timestamp": 1.5})
    assert update is not None
    assert update.status is ours
    assert update.timestamp.timestamp() == 1.5


async def test_the_fake_master_enforces_the_http_rules(make_fake) -> None:
    fake = await make_fake(masters=2)
    leader, follower = (f"http://{a}/api/v1/scheduler" for a in fake.addresses)
    subscribe = {"type": "SUBSCRIBE", "subscribe": {"framework_info": {"user": "u", "name": "n"}}}
    async with aiohttp.ClientSession() as http:

        async def status(url: str, body: object, **headers: str) -> int:
            headers.setdefault("Content-Type", "application/json")
            async with http.post(
                url, data=json.dumps(body), headers=headers, allow_redirects=False
            ) as r:
                return r.status

        async with http.post(follower, json=subscribe, allow_redirects=False) as r:
            assert (r.status, r.headers["Location"]) == (
                307,
                f"//{fake.addresses[0]}/api/v1/scheduler",
            )
        assert (
            await status(leader, subscribe, **{"Content-Type": "application/json; charset=utf-8"})
            == 415
        )
        async with http.get(leader) as r:
            assert r.status == 405
        bad_id = {"type": "KILL", "framework_id": "f", "kill": {"task_id": {"value": "t"}}}
        assert await status(leader, bad_id) == 400
        assert (
            await status(
                leader,
                {
                    "type": "KILL",
                    "framework_id": {"value": "nope"},
                    "kill": {"task_id": {"value": "t"}},
                },
            )
            == 400
        )
        async with http.post(leader, json=subscribe) as stream:
            assert stream.status == 200
            first = await stream.content.readuntil(b"\n")
            event = json.loads(await stream.content.readexactly(int(first)))
            assert event["type"] == "SUBSCRIBED"
            framework_id = event["subscribed"]["framework_id"]
            revive = {"type": "REVIVE", "framework_id": framework_id}
            assert await status(leader, revive) == 400  # no Mesos-Stream-Id
            assert await status(leader, revive, **{"Mesos-Stream-Id": "other"}) == 400
            assert (
                await status(
                    leader, revive, **{"Mesos-Stream-Id": stream.headers["Mesos-Stream-Id"]}
                )
                == 202
            )
