"""Which local launcher a cluster's tasks belong to, recorded in ZooKeeper.

A new leader adopts the running tasks only if it reaches their records, that is if it runs on
the old leader's data dir. The first instance records its data dir's launcher identity under
`<root>/launcher`; an instance whose data dir has another identity would record every fail-over
as unknown outcomes, so it refuses to start unless told that separate data dirs are meant.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from kazoo.exceptions import KazooException, NodeExistsError

from metronome.errors import StartupError
from metronome.storage import StoreUnavailable

if TYPE_CHECKING:
    from pathlib import Path

    from kazoo.client import KazooClient

logger = logging.getLogger(__name__)

LAUNCHER_NODE = "/launcher"
"""The cluster's launcher identity, relative to the store root."""


def claim_launcher(
    client: KazooClient, root: str, identity: str, data_dir: Path, *, separate: bool
) -> None:
    """Record `identity` as the cluster's launcher, or check that it is the recorded one.

    Raises:
        StartupError: another identity is recorded and `separate` data dirs are not accepted.
        StoreUnavailable: ZooKeeper did not answer (the caller retries).
    """
    path = root.rstrip("/") + LAUNCHER_NODE
    try:
        try:
            client.create(path, identity.encode(), makepath=True)
            return
        except NodeExistsError:
            recorded = client.get(path)[0].decode()
    except KazooException as exc:
        msg = f"ZooKeeper did not answer while checking {path}: {exc!r}"
        raise StoreUnavailable(msg) from exc
    if recorded == identity:
        return
    if separate:
        logger.warning(
            "Data dir %s is launcher %s, the cluster's first is %s (--separate-data-dirs):"
            " runs whose leader fails over are recorded with an unknown outcome, never run twice",
            data_dir, identity, recorded,
        )  # fmt: skip
        return
    msg = (
        f"Data dir {data_dir} belongs to local launcher {identity}, but this cluster's tasks"
        f" belong to {recorded} (ZooKeeper {path}): a new leader can adopt running tasks only"
        " on the data dir that holds their records. Give every instance the cluster's data dir"
        " (instances on one host), launch on Mesos with --master (instances on several hosts),"
        " or pass --separate-data-dirs to accept that a fail-over records the old leader's"
        " running runs as FAILED with an unknown outcome"
    )
    raise StartupError(msg)
