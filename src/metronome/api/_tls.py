"""The server side of HTTPS: a TLS context from PEM files, checked before the server starts."""

from __future__ import annotations

import ssl
from typing import TYPE_CHECKING

from metronome.errors import ConfigError

if TYPE_CHECKING:
    from pathlib import Path


class TlsConfigError(ConfigError):
    """The certificate or key cannot be used; the message names the file and the reason."""


def tls_context(cert_path: Path, key_path: Path) -> ssl.SSLContext:
    """A server context for `cert_path` (PEM, the chain after the leaf) and `key_path` (PEM,
    unencrypted); TLS 1.2 at least, Python's default ciphers.

    Raises:
        TlsConfigError: a file is missing or unreadable, not PEM, or the key does not match.
    """
    for label, path in (("certificate", cert_path), ("key", key_path)):
        try:
            with path.open("rb"):
                pass
        except OSError as exc:
            msg = f"Cannot read the TLS {label} {path}: {exc.strerror or exc}"
            raise TlsConfigError(msg) from exc
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2

    def encrypted() -> bytes:
        # Without this callback OpenSSL would prompt on the terminal; it raises through
        # load_cert_chain as it is.
        msg = f"The TLS key {key_path} is encrypted; give an unencrypted key"
        raise TlsConfigError(msg)

    try:
        context.load_cert_chain(cert_path, key_path, password=encrypted)
    except ssl.SSLError as exc:
        msg = (
            f"Cannot use the TLS certificate {cert_path} with the key {key_path}:"
            f" {exc.reason or exc} (both must be PEM, the key matching the certificate)"
        )
        raise TlsConfigError(msg) from exc
    return context
