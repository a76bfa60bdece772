"""`python -m metronome.fakemesos --port 5050 --agents 3`: run a fake Mesos cluster until SIGINT."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import ssl
import tempfile
from pathlib import Path

from metronome.fakemesos._http import AgentSpec, FakeMesos
from metronome.fakemesos._state import Settings


def _attributes(text: str, index: int) -> dict[str, str | float]:
    """`rack:r{i};level:0.8` (the agent flag's syntax; `{i}` is the agent's index)."""
    result: dict[str, str | float] = {}
    for item in filter(None, text.format(i=index).split(";")):
        name, _, value = item.partition(":")
        try:
            result[name] = float(value)
        except ValueError:
            result[name] = value
    return result


def main() -> None:
    parser = argparse.ArgumentParser(prog="fake-mesos", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--port", type=int, action="append", help="a master's port; repeat for several"
    )
    parser.add_argument("--agents", type=int, default=3)
    parser.add_argument("--cpus", type=float, default=4.0)
    parser.add_argument("--mem", type=float, default=8192.0)
    parser.add_argument("--disk", type=float, default=65536.0)
    parser.add_argument(
        "--attributes", default="rack:rack-{i}", help="per agent, `{i}` = its index"
    )
    parser.add_argument("--sandboxes", type=Path, help="where tasks run (default: a temp dir)")
    parser.add_argument("--heartbeat", type=float, default=15.0, help="heartbeat interval, s")
    parser.add_argument("--allocation", type=float, default=1.0, help="allocation interval, s")
    parser.add_argument(
        "--update-retry", type=float, default=10.0, help="first status update resend, s"
    )
    parser.add_argument(
        "--kill-grace", type=float, default=3.0, help="default kill grace period, s"
    )
    parser.add_argument(
        "--containers-on-host", action="store_true", help="run image tasks on the host"
    )
    parser.add_argument("--tls-cert", type=Path, help="serve https with this PEM certificate")
    parser.add_argument("--tls-key", type=Path, help="the certificate's PEM private key")
    args = parser.parse_args()
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    asyncio.run(_serve(args))


async def _serve(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="fake-mesos-") as tmp:
        settings = Settings(
            sandbox_root=args.sandboxes or Path(tmp),
            heartbeat_interval_s=args.heartbeat,
            allocation_interval_s=args.allocation,
            update_retry_s=args.update_retry,
            update_retry_max_s=max(args.update_retry, 600.0),
            kill_grace_s=args.kill_grace,
            run_containers_on_host=args.containers_on_host,
        )
        agents = [
            AgentSpec(f"agent-{i}", args.cpus, args.mem, args.disk, _attributes(args.attributes, i))
            for i in range(args.agents)
        ]
        context = None
        if args.tls_cert is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(args.tls_cert, args.tls_key)
        fake = FakeMesos(
            settings, agents, host=args.host, ports=args.port or [5050], ssl_context=context
        )
        await fake.start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        print(f"fake Mesos masters: {','.join(fake.addresses)}", flush=True)
        await stop.wait()
        await fake.stop()


if __name__ == "__main__":
    main()
