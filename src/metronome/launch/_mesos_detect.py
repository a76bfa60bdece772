"""Finding the leading Mesos master: a static list of masters, or ZooKeeper's `json.info_*`
nodes."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit

from metronome.launch._launcher import LaunchError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from pathlib import Path

logger = logging.getLogger(__name__)

DEFAULT_PORT = 5050
MASTER_INFO_PREFIX = "json.info_"


class MasterDetector(Protocol):
    """Returns the masters to try, the likely leader first; `host:port` each. MAY be empty."""

    async def __call__(self) -> list[str]: ...


@dataclass(frozen=True, slots=True)
class ZkAddress:
    """A `zk://[user:password@]host1:2181,host2:2181/path` URL, split."""

    hosts: str
    path: str
    auth: str | None = None


def parse_master(url: str) -> tuple[str, ...] | ZkAddress:
    """`http://h1:5050,h2:5050` (scheme optional) as `host:port` items, or a ZooKeeper address.

    Raises:
        LaunchError: the URL names no master, or its ZooKeeper path is missing or `/`.
    """
    url = url.strip()
    if url.startswith("zk://"):
        rest = url[len("zk://") :]
        auth, _, rest = rest.rpartition("@")
        hosts, slash, path = rest.partition("/")
        if not hosts or not slash or not path.strip("/"):
            msg = f"ZooKeeper master URL {url!r} needs hosts and a path, e.g. zk://zk1:2181/mesos"
            raise LaunchError(msg)
        return ZkAddress(hosts, "/" + path.strip("/"), auth or None)
    masters = []
    for item in url.split(","):
        item = item.strip()
        if not item:
            continue
        parts = urlsplit(item if "//" in item else "//" + item)
        if not parts.hostname:
            msg = f"master URL {url!r}: {item!r} names no host"
            raise LaunchError(msg)
        masters.append(f"{_host(parts.hostname)}:{parts.port or DEFAULT_PORT}")
    if not masters:
        msg = f"master URL {url!r} names no master"
        raise LaunchError(msg)
    return tuple(masters)


def master_scheme(url: str, ca_file: Path | None = None) -> str:
    """`http` or `https`: the scheme of the masters in `url`; for zk://, https when a CA file
    is given (ZooKeeper's MasterInfo names no scheme).

    Raises:
        LaunchError: the masters' schemes differ, or one is neither http nor https.
    """
    url = url.strip()
    if url.startswith("zk://"):
        return "http" if ca_file is None else "https"
    schemes = {
        (item.split("://")[0] if "://" in item else "http").lower()
        for item in url.split(",")
        if item.strip()
    }
    if not schemes <= {"http", "https"} or len(schemes) > 1:
        msg = f"master URL {url!r}: masters must all be http:// or all https://"
        raise LaunchError(msg)
    return schemes.pop() if schemes else "http"


def static_detector(masters: Iterable[str]) -> MasterDetector:
    """A detector for a fixed list: non-leaders redirect to the leader, so any order works."""
    fixed = list(masters)

    async def detect() -> list[str]:
        return list(fixed)

    return detect


def leader_node(children: Iterable[str]) -> str | None:
    """The leading master's znode: the `json.info_` member with the smallest sequence number."""
    members = [name for name in children if name.startswith(MASTER_INFO_PREFIX)]
    return min(members, key=lambda name: int(name.rpartition("_")[2] or 0), default=None)


def master_address(data: bytes) -> str:
    """`host:port` of a MasterInfo JSON (`address.ip`, else a hostname; mesos-protocol.md §6.2).

    Raises:
        LaunchError: the data is not MasterInfo JSON.
    """
    try:
        info = json.loads(data)
        address = info.get("address") or {}
        host = address.get("ip") or address.get("hostname") or info["hostname"]
        port = int(address.get("port") or info.get("port") or DEFAULT_PORT)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        msg = f"not a Mesos MasterInfo: {data[:120]!r}"
        raise LaunchError(msg) from exc
    return f"{_host(host)}:{port}"


def zk_leader(children: Iterable[str], read: Callable[[str], bytes]) -> str | None:
    """The leader's `host:port` from the children of the Mesos znode; `read(name)` gets one's data.

    None when no master is registered (no `json.info_` node).
    """
    node = leader_node(children)
    return None if node is None else master_address(read(node))


def _host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
