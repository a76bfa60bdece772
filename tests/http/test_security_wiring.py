"""Authentication, TLS and `metronome passwd` through the real server process and CLI."""

from __future__ import annotations

import base64
import http.client
import ssl
import subprocess
import sys
from typing import TYPE_CHECKING

from tests.support.jobs import job_body
from tests.support.server import ROOT, ServerProcess, free_port, wait

if TYPE_CHECKING:
    from pathlib import Path


def _cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "metronome.cli", *args],
        input=stdin,
        capture_output=True,
        check=False,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(ROOT / "src")},
    )


def _auth_file(tmp_path: Path) -> tuple[Path, str]:
    password_hash = _cli("passwd", stdin="s3cret\n").stdout.strip()
    assert password_hash.startswith("scrypt$")
    token_lines = _cli("passwd", "--token").stdout.splitlines()
    token = token_lines[0].split()[-1]
    token_hash = token_lines[1].split()[-1]
    path = tmp_path / "auth.toml"
    path.write_text(
        f"""
[[users]]
name = "alice"
password_hash = "{password_hash}"
grants = [{{ action = ["view", "create", "update", "delete"], jobs = "prod.*" }}]

[[tokens]]
name = "ci"
token_hash = "{token_hash}"
grants = [{{ action = "view", jobs = "*" }}]
"""
    )
    return path, token


def test_auth_config_turns_authentication_on(tmp_path: Path) -> None:
    path, token = _auth_file(tmp_path)
    server = ServerProcess(tmp_path / "data", extra_args=["--auth-config", str(path)]).start()
    try:
        client = server.client
        alice = {"Authorization": "Basic " + base64.b64encode(b"alice:s3cret").decode()}
        assert client.get("/ping").status == 200
        refused = client.get("/v1/jobs")
        assert refused.status == 401
        assert refused.json() == {"message": "Invalid username or password."}
        assert "WWW-Authenticate" in refused.headers
        assert client.post("/v1/jobs", job_body("prod.a"), headers=alice).status == 201
        forbidden = client.post("/v1/jobs", job_body("dev.a"), headers=alice)
        assert forbidden.status == 403
        refusal = "user:alice may not create job 'dev.a'."
        assert forbidden.json() == {"message": f"Not Authorized to perform this action! {refusal}"}
        as_ci = {"Authorization": f"Bearer {token}"}
        assert [job["id"] for job in client.get("/v1/jobs", headers=as_ci).json()] == ["prod.a"]
        assert client.delete("/v1/jobs/prod.a", headers=as_ci).status == 403
    finally:
        server.stop()
    assert "alice" in server.log()  # changes are logged with the identity that made them


def test_a_bad_auth_file_stops_the_server_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "auth.toml"
    path.write_text('[[users]]\nname = "bob"\npassword_hash = "plain-text"\n')
    result = _cli("serve", "--auth-config", str(path), "--data-dir", str(tmp_path / "d"))
    assert result.returncode == 2
    assert "auth.toml:" in result.stderr
    assert "Traceback" not in result.stderr


def test_https_only(tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    port = free_port()
    context = ssl.create_default_context(cafile=str(cert))
    context.check_hostname = False

    def ping() -> bool:
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=2)
        try:
            conn.request("GET", "/ping")
            return conn.getresponse().read() == b"pong"
        except OSError:
            return False
        finally:
            conn.close()

    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "metronome.cli",
            "serve",
            "--data-dir",
            str(tmp_path / "data"),
            "--http-address",
            "127.0.0.1",
            "--hostname",
            "127.0.0.1",
            "--http-port",
            "disabled",
            "--https-port",
            str(port),
            "--tls-cert",
            str(cert),
            "--tls-key",
            str(key),
        ],
        env={"PYTHONPATH": str(ROOT / "src")},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert wait(ping, 30)
    finally:
        process.terminate()
        assert process.wait(20) == 0


def test_tls_flags_go_together(tmp_path: Path) -> None:
    result = _cli("serve", "--https-port", "9443", "--data-dir", str(tmp_path))
    assert result.returncode == 2
    assert "--tls-cert" in result.stderr
