"""How the server hands out the UI: open static files, the redirect for browsers, /v1/identity."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.auth.conftest import basic
from tests.support.server import ServerProcess

if TYPE_CHECKING:
    from pathlib import Path

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def test_a_browser_asking_for_the_root_goes_to_the_ui_and_an_api_client_gets_json(
    server: ServerProcess,
) -> None:
    client = server.client
    for path in ("/", "/ui"):
        response = client.get(path, headers=HTML)
        assert (response.status, response.headers["Location"]) == (302, "/ui/")
    api = client.get("/", headers={"Accept": "application/json"})
    assert api.status == 401  # the API's answer, auth included, as before the UI
    assert api.json() == {"message": "Invalid username or password."}
    authenticated = client.get("/", headers=basic("admin"))
    assert authenticated.status == 404
    assert authenticated.json() == {"message": "Unknown route.", "requestPath": "/"}


def test_static_files_are_open_typed_locked_down_and_revalidated(server: ServerProcess) -> None:
    client = server.client
    page = client.get("/ui/")
    assert page.status == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert '<script src="app.js"' in page.text
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    script = client.get("/ui/app.js")
    assert script.headers["Content-Type"] == "text/javascript; charset=utf-8"
    etag = script.headers["ETag"]
    assert client.get("/ui/app.js", headers={"If-None-Match": etag}).status == 304
    assert client.get("/ui/app.css").headers["Content-Type"] == "text/css; charset=utf-8"
    missing = client.get("/ui/nothing.js", headers=basic("admin"))
    assert (missing.status, missing.json()["message"]) == (404, "Unknown route.")
    assert client.post("/ui/", raw=b"").status == 401  # only GET/HEAD are the UI's


def test_identity_tells_the_grants_of_the_caller(server: ServerProcess) -> None:
    client = server.client
    assert client.get("/v1/identity").status == 401
    viewer = client.get("/v1/identity", headers=basic("viewer")).json()
    assert viewer == {
        "auth": True,
        "name": "viewer",
        "kind": "user",
        "grants": [{"action": "view", "jobs": "*"}],
    }
    prod = client.get("/v1/identity", headers=basic("prod")).json()
    assert {(g["action"], g["jobs"]) for g in prod["grants"]} == {
        (a, "prod.*") for a in ("view", "create", "update", "delete")
    }


def test_without_auth_identity_grants_everything(tmp_path: Path) -> None:
    process = ServerProcess(tmp_path / "data").start()
    try:
        body = process.client.get("/v1/identity").json()
    finally:
        process.stop()
    assert body == {
        "auth": False,
        "grants": [
            {"action": a, "jobs": "*"}
            for a in ("view", "create", "update", "delete", "override-command")
        ],
    }
