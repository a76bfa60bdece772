"""The web UI: a small single-page app (plain HTML, CSS and JavaScript, no build step) that the
server hands out at /ui/ and that talks to the REST API like any other client."""

from metronome.webui._serve import UI_PATH, webui_middleware

__all__ = ["UI_PATH", "webui_middleware"]
