"""https masters: the scheme of `--master` is kept (redirects too), verified by a CA option."""

from __future__ import annotations

import logging
import ssl
from pathlib import Path

import pytest

from metronome.launch import LaunchError
from metronome.launch._mesos_detect import master_scheme
from metronome.model import TaskStatus
from tests.launch.conftest import spec, wait_until
from tests.mesos.conftest import make_certificate


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, ssl.SSLContext]:
    """A self-signed certificate for 127.0.0.1, and a server context serving it."""
    cert, key = make_certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return cert, context


async def test_an_https_master_and_its_redirect_are_spoken_to_over_tls(
    make_fake, make_launcher, certificate
) -> None:
    ca_file, context = certificate
    fake = await make_fake(masters=2, ssl_context=context)
    fake.failover(leader=1)  # the first answers 307 `//leader`: the scheme stays https
    master = f"https://{fake.addresses[0]}"
    launcher, updates = await make_launcher(fake, master=master, ca_file=ca_file)
    launcher.launch("t", spec(cmd="true"))
    assert (await updates.final("t")).status is TaskStatus.TASK_FINISHED


async def test_a_master_whose_certificate_is_not_trusted_is_not_subscribed_to(
    make_fake, make_launcher, certificate, caplog
) -> None:
    _, context = certificate
    fake = await make_fake(ssl_context=context)
    caplog.set_level(logging.WARNING, "metronome.launch")
    launcher, _ = await make_launcher(fake, master=f"https://{fake.addresses[0]}")
    await wait_until(lambda: "certificate verify failed" in caplog.text)
    assert not launcher.connected
    assert fake.master.subscribe_count == 0


def test_the_scheme_comes_from_the_master_url() -> None:
    assert master_scheme("https://a:5050,https://b:5050") == "https"
    assert master_scheme("a:5050,http://b") == "http"
    assert master_scheme("zk://z:2181/mesos") == "http"
    assert master_scheme("zk://z:2181/mesos", ca_file=Path("ca.pem")) == "https"
    for mixed in ("https://a,http://b", "https://a,b", "ftp://a"):
        with pytest.raises(LaunchError, match="all be http:// or all https://"):
            master_scheme(mixed)
