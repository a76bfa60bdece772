"""TLS: a context from PEM files made by the test, served for real; clear errors for bad files."""

from __future__ import annotations

import ssl
import subprocess
from typing import TYPE_CHECKING

import aiohttp
import pytest
from aiohttp import web

from metronome.api._tls import TlsConfigError, tls_context
from tests.support.server import free_port

if TYPE_CHECKING:
    from pathlib import Path


def openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=30)


@pytest.fixture(scope="module")
def pems(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """cert.pem/key.pem (self-signed for 127.0.0.1), other-key.pem, encrypted-key.pem."""
    folder = tmp_path_factory.mktemp("tls")
    openssl(
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", str(folder / "key.pem"), "-out", str(folder / "cert.pem"), "-days", "1",
        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
    )  # fmt: skip
    other = str(folder / "other-key.pem")
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", other)
    openssl(
        "pkey", "-in", str(folder / "key.pem"), "-aes128", "-passout", "pass:secret",
        "-out", str(folder / "encrypted-key.pem"),
    )  # fmt: skip
    return folder


async def test_the_context_serves_https(pems: Path) -> None:
    async def ping(_request: web.Request) -> web.Response:
        return web.Response(text="pong")

    app = web.Application()
    app.router.add_get("/ping", ping)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    context = tls_context(pems / "cert.pem", pems / "key.pem")
    site = web.TCPSite(runner, "127.0.0.1", port, ssl_context=context)
    await site.start()
    try:
        trusted = ssl.create_default_context(cafile=str(pems / "cert.pem"))
        async with aiohttp.ClientSession() as session:
            async with session.get(f"https://127.0.0.1:{port}/ping", ssl=trusted) as response:
                assert (response.status, await response.text()) == (200, "pong")
            with pytest.raises(aiohttp.ClientConnectorCertificateError):
                await session.get(f"https://127.0.0.1:{port}/ping")  # not trusted by default
            with pytest.raises(aiohttp.ClientError):
                await session.get(f"http://127.0.0.1:{port}/ping")  # plain HTTP is not served
    finally:
        await runner.cleanup()


@pytest.mark.parametrize(
    ("cert", "key", "words"),
    [
        ("missing.pem", "key.pem", "Cannot read the TLS certificate"),
        ("cert.pem", "missing.pem", "Cannot read the TLS key"),
        ("cert.pem", "other-key.pem", "KEY_VALUES_MISMATCH"),
        ("key.pem", "key.pem", "Cannot use the TLS certificate"),
        ("cert.pem", "encrypted-key.pem", "is encrypted"),
    ],
)
def test_unusable_files_are_named(pems: Path, cert: str, key: str, words: str) -> None:
    with pytest.raises(TlsConfigError) as caught:
        tls_context(pems / cert, pems / key)
    assert words in str(caught.value)
    assert str(pems / (cert if "certificate" in words else key)) in str(caught.value)
