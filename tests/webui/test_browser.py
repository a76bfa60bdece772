"""The UI in a real headless Chromium against a real server with auth on: what an operator does,
and what a viewer is not offered. A screenshot of each page is kept (conftest.artifacts_dir)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from tests.auth.conftest import basic
from tests.support.server import wait
from tests.webui.conftest import artifacts_dir

if TYPE_CHECKING:
    from pathlib import Path

    from selenium.webdriver import Chrome
    from selenium.webdriver.remote.webelement import WebElement

    from tests.support.server import ServerProcess

TIMEOUT_S = 20


def css(browser: Chrome, selector: str) -> list[WebElement]:
    from selenium.webdriver.common.by import By

    return browser.find_elements(By.CSS_SELECTOR, selector)


def _displayed(browser: Chrome, selector: str) -> WebElement | None:
    from selenium.common.exceptions import StaleElementReferenceException

    try:
        return next((e for e in css(browser, selector) if e.is_displayed()), None)
    except StaleElementReferenceException:  # the page re-rendered it meanwhile: look again
        return None


def shown(browser: Chrome, selector: str) -> WebElement:
    """The first element matching `selector`, once there is one that is displayed."""
    return wait(lambda: _displayed(browser, selector), TIMEOUT_S)


def text(browser: Chrome, selector: str) -> str | None:
    """The text of the first displayed element matching `selector` (None while there is none:
    the pages re-render as they poll, so an element found may be gone when read)."""
    from selenium.common.exceptions import StaleElementReferenceException

    try:
        element = _displayed(browser, selector)
        return None if element is None else element.text
    except StaleElementReferenceException:
        return None


def sign_in(browser: Chrome, server: ServerProcess, user: str, password: str) -> None:
    browser.get(f"http://127.0.0.1:{server.port}/")  # a browser at / is sent to /ui/
    browser.execute_script("sessionStorage.clear()")
    browser.get(f"http://127.0.0.1:{server.port}/ui/")
    shown(browser, "#login-user").send_keys(user)
    shown(browser, "#login-password").send_keys(password)
    shown(browser, "#login button[type=submit]").click()
    shown(browser, "#jobs")


def go(browser: Chrome, route: str) -> None:
    browser.execute_script("location.hash = arguments[0]", route)


def api(server: ServerProcess, method: str, path: str, body: Any = None) -> Any:
    response = server.client.request(method, path, body, headers=basic("admin"))
    assert response.status < 300, response.text
    return response.json() if response.body else None


def screenshot(browser: Chrome, name: str) -> None:
    browser.save_screenshot(str(artifacts_dir() / f"{name}.png"))


def test_an_operator_creates_runs_stops_and_disables(
    browser: Chrome, server: ServerProcess
) -> None:
    sign_in(browser, server, "admin", "admin-pw")
    shown(browser, "#nav-new").click()
    editor = shown(browser, "#job-json")
    job = {
        "id": "ui.flow",
        "labels": {"team": "ops"},
        "run": {"cmd": "sleep 60", "cpus": -1, "mem": 32, "disk": 0},
        "schedules": [{"id": "nightly", "cron": "0 3 * * *"}],
    }
    browser.execute_script("arguments[0].value = arguments[1]", editor, json.dumps(job))
    shown(browser, "#save").click()

    # The 422 is shown at the field: its line in the (reformatted) JSON is marked.
    error = shown(browser, "#errors li[data-path='/run/cpus']")
    line = int(error.get_attribute("data-line") or 0)
    text_line = (editor.get_attribute("value") or "").split("\n")[line - 1]
    assert text_line.strip().startswith('"cpus": -1')
    marked = css(browser, ".gutter .err")
    assert [m.text for m in marked] == [str(line)]
    assert "0.01" in (marked[0].get_attribute("title") or "")

    job["run"]["cpus"] = 0.01  # type: ignore[index]
    browser.execute_script("arguments[0].value = arguments[1]", editor, json.dumps(job))
    shown(browser, "#save").click()
    wait(lambda: browser.execute_script("return location.hash") == "#/jobs/ui.flow", TIMEOUT_S)

    # Disable the schedule from the job's page: the server's schedule says so.
    shown(browser, "#schedules [data-schedule=nightly] button.toggle").click()
    wait(lambda: not api(server, "GET", "/v1/jobs/ui.flow/schedules/nightly")["enabled"], TIMEOUT_S)
    wait(lambda: text(browser, "button.toggle") == "Enable", TIMEOUT_S)

    # Run now opens the run's page; Stop ends the run.
    shown(browser, "#run-now").click()
    wait(lambda: "/runs/" in browser.execute_script("return location.hash"), TIMEOUT_S)
    wait(lambda: api(server, "GET", "/v1/jobs/ui.flow/runs"), TIMEOUT_S)
    screenshot(browser, "run-active")
    shown(browser, "button.stop").click()
    wait(lambda: text(browser, "#run-status") == "FAILED", TIMEOUT_S)
    assert api(server, "GET", "/v1/jobs/ui.flow/runs") == []

    # The job's page shows the stopped run in its history and its chart.
    go(browser, "#/jobs/ui.flow")
    row = shown(browser, "#history tr[data-run]")
    assert "FAILED" in row.text
    bars = wait(lambda: css(browser, "#chart rect.bad"), TIMEOUT_S)
    assert [b.get_attribute("data-run") for b in bars] == [row.get_attribute("data-run")]
    screenshot(browser, "job")


def _has_logs_route(server: ServerProcess) -> bool:
    paths = api(server, "GET", "/openapi.json")["paths"]
    return "/v1/jobs/{job_id}/runs/{run_id}/logs/stdout" in paths


def test_a_run_page_follows_the_output_live(browser: Chrome, server: ServerProcess) -> None:
    if not _has_logs_route(server):
        pytest.skip("needs GET .../runs/{runId}/logs/stdout (the run output endpoints)")
    sign_in(browser, server, "admin", "admin-pw")
    cmd = "echo first; sleep 2; echo second; echo oops >&2"
    api(
        server,
        "POST",
        "/v1/jobs",
        {"id": "ui.output", "run": {"cmd": cmd, "cpus": 0.01, "mem": 32, "disk": 0}},
    )
    run = api(server, "POST", "/v1/jobs/ui.output/runs")
    go(browser, f"#/jobs/ui.output/runs/{run['id']}")
    stdout = shown(browser, "#stdout")
    wait(lambda: "first" in stdout.text, TIMEOUT_S)
    assert "second" not in stdout.text  # shown while the task still runs
    wait(lambda: "second" in stdout.text, TIMEOUT_S)
    wait(lambda: "oops" in (text(browser, "#stderr") or ""), TIMEOUT_S)
    wait(lambda: text(browser, "#run-status") == "SUCCESS", TIMEOUT_S)
    screenshot(browser, "run-output")


def test_a_viewer_sees_jobs_but_is_offered_no_change(
    browser: Chrome, server: ServerProcess
) -> None:
    for job_id, team in (("ui.view.a", "ops"), ("ui.view.b", "data")):
        run = {"cmd": "true", "cpus": 0.01, "mem": 32, "disk": 0}
        api(
            server,
            "POST",
            "/v1/jobs",
            {
                "id": job_id,
                "labels": {"team": team},
                "run": run,
                "schedules": [{"id": "hourly", "cron": "0 * * * *"}],
            },
        )
    sign_in(browser, server, "viewer", "viewer-pw")
    wait(lambda: css(browser, "#jobs tr[data-job='ui.view.b']"), TIMEOUT_S)
    assert not css(browser, "#nav-new")[0].is_displayed()
    shown(browser, "#filter-label").send_keys("team=data")
    wait(lambda: [r.get_attribute("data-job") for r in css(browser, "#jobs tr[data-job]")]
         == ["ui.view.b"], TIMEOUT_S)  # fmt: skip
    row = css(browser, "#jobs tr[data-job]")[0]
    assert "0 * * * *" in row.text
    screenshot(browser, "jobs-viewer")
    go(browser, "#/jobs/ui.view.b")
    shown(browser, "#schedules [data-schedule=hourly]")
    shown(browser, "#spec")
    assert css(browser, "#run-now") == []
    assert css(browser, "button.toggle") == []
    assert [b.text for b in css(browser, "main button")] == []


def test_an_operator_edits_a_job_and_sees_the_422_at_the_field(
    browser: Chrome, server: ServerProcess
) -> None:
    run = {"cmd": "true", "cpus": 0.01, "mem": 32, "disk": 0}
    api(server, "POST", "/v1/jobs", {"id": "ui.edit", "run": run})
    sign_in(browser, server, "admin", "admin-pw")
    go(browser, "#/jobs/ui.edit")
    shown(browser, "a[href='#/jobs/ui.edit/edit'] button").click()
    editor = shown(browser, "#job-json")
    loaded = json.loads(wait(lambda: editor.get_attribute("value"), TIMEOUT_S))
    assert loaded["run"]["cmd"] == "true"

    loaded["run"]["mem"] = "lots"
    loaded["description"] = "edited in the browser"
    browser.execute_script("arguments[0].value = arguments[1]", editor, json.dumps(loaded))
    shown(browser, "#save").click()
    error = shown(browser, "#errors li[data-path='/run/mem']")
    line = int(error.get_attribute("data-line") or 0)
    text_line = (editor.get_attribute("value") or "").split("\n")[line - 1]
    assert text_line.strip().startswith('"mem": "lots"')
    assert "description" not in api(server, "GET", "/v1/jobs/ui.edit")  # nothing was saved
    screenshot(browser, "edit-422")

    loaded["run"]["mem"] = 64
    browser.execute_script("arguments[0].value = arguments[1]", editor, json.dumps(loaded))
    shown(browser, "#save").click()
    wait(lambda: browser.execute_script("return location.hash") == "#/jobs/ui.edit", TIMEOUT_S)
    saved = api(server, "GET", "/v1/jobs/ui.edit")
    assert (saved["description"], saved["run"]["mem"]) == ("edited in the browser", 64)
    wait(lambda: "edited in the browser" in (text(browser, "#spec") or ""), TIMEOUT_S)


def test_a_run_page_says_why_a_run_waits_and_shows_each_tasks_output(
    browser: Chrome, server: ServerProcess, tmp_path: Path
) -> None:
    sign_in(browser, server, "admin", "admin-pw")
    run = {"cmd": "true", "cpus": 0.01, "mem": 10**7, "disk": 0}
    api(server, "POST", "/v1/jobs", {"id": "ui.waits", "run": run})
    waiting = api(server, "POST", "/v1/jobs/ui.waits/runs")
    go(browser, f"#/jobs/ui.waits/runs/{waiting['id']}")
    reason = wait(lambda: text(browser, "#queue-reason"), TIMEOUT_S)
    assert reason.startswith("never fits: mem 10000000 wanted")
    screenshot(browser, "run-waiting")
    shown(browser, "button.stop").click()
    wait(lambda: text(browser, "#run-status") == "FAILED", TIMEOUT_S)

    marker = tmp_path / "tried"
    cmd = f"if [ -e {marker} ]; then echo second; else touch {marker}; echo first; exit 3; fi"
    # As root: the marker is in the test's temp dir, which other users cannot enter.
    restart = {"policy": "ON_FAILURE"}
    run = {"cmd": cmd, "cpus": 0.01, "mem": 32, "disk": 0, "restart": restart, "user": "root"}
    api(server, "POST", "/v1/jobs", {"id": "ui.retried", "run": run})
    retried = api(server, "POST", "/v1/jobs/ui.retried/runs")
    go(browser, f"#/jobs/ui.retried/runs/{retried['id']}")
    wait(lambda: text(browser, "#run-status") == "SUCCESS", TIMEOUT_S)
    wait(lambda: text(browser, "#stdout") == "second", TIMEOUT_S)  # the latest task's
    shown(browser, "button.show-output").click()
    wait(lambda: text(browser, "#stdout") == "first", TIMEOUT_S)
