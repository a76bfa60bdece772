"""Real ZooKeeper servers for tests: the Debian package's jars, run with java directly.

`scripts/test` installs the package (scripts/lib/zookeeper.sh). Each server gets its own
directory with a generated zoo.cfg, its data dir and `server.log`, so a failing test can show
what the server said. Fixtures: `zookeeper` (one standalone server per session), `zk_root`
(a fresh uuid path per test, so tests sharing the server never see each other's nodes),
`own_zookeeper` and `zk_ensemble` (servers of a test's own, for tests that stop or kill them).
"""

from __future__ import annotations

import functools
import os
import signal
import socket
import subprocess
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pytest

from tests.support.server import ROOT, free_port, wait

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

MAIN_CLASS = "org.apache.zookeeper.server.quorum.QuorumPeerMain"
START_TIMEOUT_S = 30.0
TICK_MS = 500
"""Short ticks make an ensemble elect a leader (and notice a dead one) in about a second."""


@functools.cache
def classpath() -> str:
    """The server's classpath, as scripts/lib/zookeeper.sh finds it; fails if not installed."""
    script = ROOT / "scripts" / "lib" / "zookeeper.sh"
    found = subprocess.run(
        ["bash", "-c", f'source "{script}" && zookeeper_classpath'],
        capture_output=True,
        text=True,
        check=False,
    )
    if found.returncode != 0:
        pytest.fail(
            f"{found.stderr.strip()}\nInstall it with scripts/test, or: "
            f'bash -c "source {script} && ensure_zookeeper"',
            pytrace=False,
        )
    return found.stdout.strip()


def four_letter_word(port: int, word: str, timeout_s: float = 1.0) -> str:
    """Send a four-letter admin command to the client port; '' when nothing answers."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as sock:
            sock.sendall(word.encode())
            chunks = []
            while chunk := sock.recv(4096):
                chunks.append(chunk)
    except OSError:
        return ""
    return b"".join(chunks).decode(errors="replace")


@dataclass
class ZkServer:
    """One ZooKeeper server process; standalone, or member `server_id` of an ensemble."""

    directory: Path
    client_port: int = field(default_factory=free_port)
    server_id: int | None = None
    peers: str = ""
    """The `server.N=...` lines of an ensemble's config; empty for a standalone server."""
    process: subprocess.Popen[bytes] | None = None
    force_sync: bool = False
    """fsync each transaction log write, as production servers do (benchmarks); tests need not."""

    @property
    def hosts(self) -> str:
        return f"127.0.0.1:{self.client_port}"

    @property
    def log_file(self) -> Path:
        return self.directory / "server.log"

    def start(self, *, wait_s: float | None = START_TIMEOUT_S) -> ZkServer:
        """Start the process; with `wait_s`, wait until it serves clients."""
        data_dir = self.directory / "data"
        data_dir.mkdir(parents=True, exist_ok=True)
        if self.server_id is not None:
            (data_dir / "myid").write_text(f"{self.server_id}\n")
        config = self.directory / "zoo.cfg"
        config.write_text(
            f"tickTime={TICK_MS}\ninitLimit=20\nsyncLimit=4\n"
            f"dataDir={data_dir}\nclientPort={self.client_port}\nclientPortAddress=127.0.0.1\n"
            "admin.enableServer=false\n4lw.commands.whitelist=srvr,ruok\n"
            f"maxClientCnxns=0\nforceSync={'yes' if self.force_sync else 'no'}\n"
            f"{self.peers}"
        )
        with self.log_file.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    "java",
                    "-Xmx256m",
                    "-XX:+UseSerialGC",
                    "-XX:TieredStopAtLevel=1",
                    "-cp",
                    classpath(),
                    MAIN_CLASS,
                    str(config),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.directory,
                start_new_session=True,
            )
        if wait_s is not None:
            self.wait_serving(wait_s)
        return self

    def serving(self) -> bool:
        return "Mode: " in four_letter_word(self.client_port, "srvr")

    def mode(self) -> str:
        """'standalone', 'leader' or 'follower'; '' when it does not serve."""
        for line in four_letter_word(self.client_port, "srvr").splitlines():
            if line.startswith("Mode: "):
                return line.removeprefix("Mode: ")
        return ""

    def wait_serving(self, timeout_s: float = START_TIMEOUT_S) -> None:
        def ready() -> bool:
            if self.process is None or self.process.poll() is not None:
                msg = f"ZooKeeper on port {self.client_port} exited:\n{self.log()}"
                raise AssertionError(msg)
            return self.serving()

        try:
            wait(ready, timeout_s, interval_s=0.05)
        except AssertionError as exc:
            msg = f"{exc}\nZooKeeper on port {self.client_port} log:\n{self.log()}"
            raise AssertionError(msg) from None

    def stop(self) -> None:
        """SIGTERM and wait; ZooKeeper's data survives for the next `start`."""
        self._end(signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL and wait, as a crash."""
        self._end(signal.SIGKILL)

    def log(self, tail_lines: int = 80) -> str:
        if not self.log_file.exists():
            return "(no log)"
        return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-tail_lines:])

    def _end(self, sig: signal.Signals) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None


@dataclass
class ZkEnsemble:
    """Three servers on loopback, each with its own client, quorum and election ports."""

    members: list[ZkServer]

    @classmethod
    def create(cls, directory: Path, size: int = 3) -> ZkEnsemble:
        ids = range(1, size + 1)
        peers = "".join(f"server.{n}=127.0.0.1:{free_port()}:{free_port()}\n" for n in ids)
        return cls([ZkServer(directory / f"zk{n}", server_id=n, peers=peers) for n in ids])

    @property
    def hosts(self) -> str:
        return ",".join(member.hosts for member in self.members)

    def start(self) -> ZkEnsemble:
        for member in self.members:
            member.start(wait_s=None)  # a member serves only once a quorum is up
        for member in self.members:
            member.wait_serving()
        return self

    def leader(self) -> ZkServer:
        return wait(lambda: next((m for m in self.members if m.mode() == "leader"), None), 10)

    def stop(self) -> None:
        for member in self.members:
            member.stop()

    def log(self) -> str:
        return "\n".join(f"--- zk{m.server_id}:\n{m.log(30)}" for m in self.members)


@pytest.fixture(scope="session")
def zookeeper(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ZkServer]:
    """One standalone server for the session; tests isolate themselves under `zk_root`."""
    server = ZkServer(tmp_path_factory.mktemp("zookeeper")).start()
    yield server
    alive = server.process is not None and server.process.poll() is None
    server.stop()
    assert alive, f"the session's ZooKeeper died during the tests:\n{server.log()}"


@pytest.fixture
def zk_root() -> str:
    """A root path of the test's own in the shared server."""
    return f"/test-{uuid.uuid4().hex}"


@pytest.fixture
def own_zookeeper(tmp_path: Path) -> Iterator[ZkServer]:
    """A standalone server of the test's own, for tests that stop or kill it."""
    server = ZkServer(tmp_path / "zookeeper").start()
    yield server
    server.kill()


@pytest.fixture
def zk_ensemble(tmp_path: Path) -> Iterator[ZkEnsemble]:
    ensemble = ZkEnsemble.create(tmp_path / "ensemble").start()
    yield ensemble
    for member in ensemble.members:
        member.kill()
