// Metronome's web UI: a client of the REST API, with hash routes (#/, #/jobs/ID, ...).
// The server allows or refuses; the UI only hides what GET /v1/identity says is not allowed.
"use strict";

const AUTH_KEY = "metronome.authorization";
const REFRESH_MS = 3000;
const HISTORY_ROWS = 50;
const CHART_RUNS = 60;
const JOB_TEMPLATE = {
  id: "my.job",
  description: "",
  labels: {},
  run: { cmd: "echo hello", cpus: 0.1, mem: 32, disk: 0 },
  schedules: [],
};

let identity = null;
let page = 0; // bumped on every navigation: timers and streams of older pages stop
const pageAborts = [];
const finishedDetails = new Map(); // run id -> details of a finished run (they never change)

// ---- small helpers ----

function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "class") node.className = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function svg(tag, attrs, ...children) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
  for (const child of children) node.append(child);
  return node;
}

const enc = encodeURIComponent;
const main = () => document.getElementById("main");

function flash(message, kind) {
  const box = document.getElementById("flash");
  box.textContent = message || "";
  box.className = kind || "";
  box.hidden = !message;
}

function when(timestamp) {
  if (!timestamp) return "—";
  const date = parseTime(timestamp);
  return date ? date.toLocaleString() : timestamp;
}

function parseTime(timestamp) {
  // Metronome writes 2016-07-15T13:02:59.735+0000; Date wants +00:00.
  const date = new Date(String(timestamp).replace(/([+-]\d\d)(\d\d)$/, "$1:$2"));
  return Number.isNaN(date.getTime()) ? null : date;
}

function seconds(from, to) {
  const start = parseTime(from);
  const end = parseTime(to);
  return start && end ? (end - start) / 1000 : null;
}

function duration(s) {
  if (s === null || s === undefined) return "—";
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

function describe(value) {
  // A reason or trigger as the server gives it: a string, or an object of facts.
  if (value === null || value === undefined) return "";
  if (typeof value !== "object") return String(value);
  return Object.entries(value)
    .filter(([, v]) => v !== null && v !== undefined && v !== "")
    .map(([k, v]) => (typeof v === "object" ? `${k}: ${describe(v)}` : `${k}: ${v}`))
    .join(", ");
}

// ---- the API ----

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

function headers(extra) {
  const out = { Accept: "application/json", ...extra };
  const authorization = sessionStorage.getItem(AUTH_KEY);
  if (authorization) out.Authorization = authorization;
  return out;
}

async function request(method, path, body, options) {
  const init = {
    method,
    // "omit": the browser never shows its own password dialog nor sends cached credentials;
    // the Authorization header is the one the user gave the login form.
    credentials: "omit",
    headers: headers(body === undefined ? {} : { "Content-Type": "application/json" }),
    ...options,
  };
  if (body !== undefined) init.body = JSON.stringify(body);
  const response = await fetch(path, init);
  if (response.status === 401) {
    sessionStorage.removeItem(AUTH_KEY);
    identity = null;
    showLogin("Sign in: the server asks for credentials.");
    throw new ApiError(401, { message: "Not signed in" });
  }
  return response;
}

async function api(method, path, body) {
  const response = await request(method, path, body);
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch (_) {
    data = { message: text };
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

// ---- permissions ----

function globMatches(pattern, jobId) {
  const regex = pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${regex.join(".*")}$`).test(jobId);
}

function may(action, jobId) {
  return !!identity && identity.grants.some(
    (g) => g.action === action && (jobId === undefined || globMatches(g.jobs, jobId)),
  );
}

// ---- sign-in ----

function showLogin(message) {
  page += 1;
  flash("");
  document.getElementById("who").textContent = "";
  document.getElementById("logout").hidden = true;
  document.getElementById("nav-new").hidden = true;
  const kind = h("select", { id: "login-kind" },
    h("option", { value: "basic" }, "User and password"),
    h("option", { value: "token" }, "API token"));
  const user = h("input", { id: "login-user", autocomplete: "username" });
  const password = h("input", { id: "login-password", type: "password",
    autocomplete: "current-password" });
  const token = h("input", { id: "login-token", type: "password" });
  const userFields = h("div", {}, h("label", {}, "User", user),
    h("label", {}, "Password", password));
  const tokenFields = h("div", { hidden: true }, h("label", {}, "Token", token));
  const error = h("p", { class: "FAILED", id: "login-error" }, message || "");
  kind.addEventListener("change", () => {
    userFields.hidden = kind.value !== "basic";
    tokenFields.hidden = kind.value === "basic";
  });
  const form = h("form", { class: "login", id: "login" },
    h("h1", {}, "Sign in"), error, h("label", {}, "With", kind), userFields, tokenFields,
    h("button", { class: "primary", type: "submit" }, "Sign in"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const authorization = kind.value === "basic"
      ? "Basic " + btoa(unescape(enc(`${user.value}:${password.value}`)))
      : "Bearer " + token.value.trim();
    sessionStorage.setItem(AUTH_KEY, authorization);
    const response = await fetch("/v1/identity", { credentials: "omit", headers: headers() });
    if (!response.ok) {
      sessionStorage.removeItem(AUTH_KEY);
      error.textContent = response.status === 401
        ? "Wrong user name, password or token." : `The server answered ${response.status}.`;
      return;
    }
    identity = await response.json();
    route();
  });
  main().replaceChildren(form);
}

async function ensureIdentity() {
  if (identity) return true;
  const response = await fetch("/v1/identity", { credentials: "omit", headers: headers() });
  if (response.status === 401) {
    showLogin();
    return false;
  }
  if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
  identity = await response.json();
  return true;
}

function showIdentity() {
  document.getElementById("who").textContent = identity.auth ? `${identity.kind} ${identity.name}` : "";
  document.getElementById("logout").hidden = !identity.auth;
  document.getElementById("nav-new").hidden = !may("create");
}

// ---- routing ----

async function route() {
  page += 1;
  for (const controller of pageAborts.splice(0)) controller.abort();
  flash("");
  const parts = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  try {
    if (!(await ensureIdentity())) return;
    showIdentity();
    if (parts[0] === "new") return editJob(null);
    if (parts[0] === "jobs" && parts[2] === "edit") return editJob(parts[1]);
    if (parts[0] === "jobs" && parts[2] === "runs" && parts[3]) return runPage(parts[1], parts[3]);
    if (parts[0] === "jobs" && parts[1]) return jobPage(parts[1]);
    return jobsPage();
  } catch (error) {
    if (error.status !== 401) flash(error.message);
  }
}

function every(render) {
  // Render now and again every REFRESH_MS while this page is shown.
  const mine = page;
  const tick = async () => {
    if (mine !== page) return;
    try {
      await render(mine);
    } catch (error) {
      if (mine === page && error.status !== 401) flash(error.message);
      if (error.status === 401) return;
    }
    if (mine === page) setTimeout(tick, REFRESH_MS);
  };
  return tick();
}

// ---- jobs ----

function lastOutcome(summary) {
  if (!summary) return null;
  const success = parseTime(summary.lastSuccessAt);
  const failure = parseTime(summary.lastFailureAt);
  if (!success && !failure) return null;
  return !failure || (success && success > failure)
    ? { status: "SUCCESS", at: summary.lastSuccessAt }
    : { status: "FAILED", at: summary.lastFailureAt };
}

function nextRun(schedules) {
  const times = (schedules || []).map((s) => s.nextRunAt).filter(Boolean);
  return times.sort((a, b) => parseTime(a) - parseTime(b))[0] || null;
}

function labelMatches(labels, filter) {
  if (!filter) return true;
  const [key, value] = filter.split("=", 2).map((s) => s.trim());
  return Object.entries(labels || {}).some(
    ([k, v]) => k === key && (value === undefined || v === value));
}

function jobsPage() {
  const params = new URLSearchParams(location.hash.split("?")[1] || "");
  const idFilter = h("input", { id: "filter-id", placeholder: "id contains",
    value: params.get("id") || "" });
  const labelFilter = h("input", { id: "filter-label", placeholder: "label key or key=value",
    value: params.get("label") || "" });
  const body = h("tbody");
  let jobs = [];
  const draw = () => {
    const text = idFilter.value.trim().toLowerCase();
    const shown = jobs.filter((job) => job.id.includes(text)
      && labelMatches(job.labels, labelFilter.value.trim()));
    body.replaceChildren(...shown.map(jobRow));
    if (!shown.length) {
      body.append(h("tr", {}, h("td", { colspan: 6, class: "muted" },
        jobs.length ? "No job matches the filter." : "No jobs yet.")));
    }
  };
  idFilter.addEventListener("input", draw);
  labelFilter.addEventListener("input", draw);
  main().replaceChildren(
    h("h1", {}, "Jobs"),
    h("div", { class: "bar" }, idFilter, labelFilter,
      may("create") ? h("a", { href: "#/new" }, h("button", { class: "primary" }, "New job"))
        : null),
    h("table", { id: "jobs" },
      h("thead", {}, h("tr", {}, ["Job", "Labels", "Active", "Last outcome", "Next run",
        "Schedules"].map((t) => h("th", {}, t)))),
      body));
  return every(async (mine) => {
    const data = await api("GET",
      "/v1/jobs?embed=activeRuns&embed=schedules&embed=historySummary");
    if (mine !== page) return;
    jobs = data.sort((a, b) => a.id.localeCompare(b.id));
    draw();
  });
}

function jobRow(job) {
  const outcome = lastOutcome(job.historySummary);
  const active = (job.activeRuns || []).length;
  return h("tr", { "data-job": job.id },
    h("td", {}, h("a", { href: `#/jobs/${enc(job.id)}` }, job.id),
      job.description ? h("div", { class: "muted" }, job.description) : null),
    h("td", {}, Object.entries(job.labels || {}).map(([k, v]) =>
      h("span", { class: "badge" }, `${k}=${v}`))),
    h("td", { class: active ? "ACTIVE" : "muted" }, active ? `${active} running` : "—"),
    h("td", {}, outcome ? [h("span", { class: outcome.status }, outcome.status), " ",
      h("span", { class: "muted" }, when(outcome.at))] : h("span", { class: "muted" }, "never run")),
    h("td", {}, when(nextRun(job.schedules))),
    h("td", {}, (job.schedules || []).map((s) => h("div", { class: s.enabled ? "" : "muted" },
      `${s.cron} (${s.timezone})${s.enabled ? "" : " disabled"}`))));
}

// ---- one job ----

function jobPage(jobId) {
  const base = `/v1/jobs/${enc(jobId)}`;
  const actions = h("div", { class: "bar" });
  if (may("update", jobId)) {
    actions.append(
      h("button", { class: "primary", id: "run-now", onclick: async () => {
        try {
          const run = await api("POST", `${base}/runs`);
          location.hash = `#/jobs/${enc(jobId)}/runs/${enc(run.id)}`;
        } catch (error) { flash(error.message); }
      } }, "Run now"),
      h("a", { href: `#/jobs/${enc(jobId)}/edit` }, h("button", {}, "Edit")));
  }
  if (may("delete", jobId)) {
    actions.append(h("button", { class: "danger", onclick: async () => {
      if (!confirm(`Delete ${jobId} and stop its runs?`)) return;
      try {
        await api("DELETE", `${base}?stopCurrentJobRuns=true`);
        location.hash = "#/";
      } catch (error) { flash(error.message); }
    } }, "Delete"));
  }
  const sections = h("div");
  main().replaceChildren(h("h1", {}, jobId), actions, sections);
  return every(async (mine) => {
    const job = await api("GET", `${base}?embed=activeRuns&embed=schedules&embed=history`);
    if (mine !== page) return;
    const history = job.history || {};
    const finished = [
      ...(history.successfulFinishedRuns || []).map((r) => ({ ...r, status: "SUCCESS" })),
      ...(history.failedFinishedRuns || []).map((r) => ({ ...r, status: "FAILED" })),
    ].sort((a, b) => parseTime(b.createdAt) - parseTime(a.createdAt));
    const spec = { ...job };
    for (const key of ["schedules", "activeRuns", "history", "historySummary"]) delete spec[key];
    sections.replaceChildren(
      job.description ? h("p", {}, job.description) : "",
      h("h2", {}, "Schedules"), schedulesTable(jobId, job.schedules || []),
      h("h2", {}, "Active runs"), activeRunsTable(jobId, job.activeRuns || []),
      h("h2", {}, "Recent runs"), runsChart(jobId, finished.slice(0, CHART_RUNS)),
      h("p", { class: "muted" }, `${history.successCount || 0} succeeded, `
        + `${history.failureCount || 0} failed`
        + (history.skippedCount ? `, ${history.skippedCount} skipped` : "")
        + (history.missedCount ? `, ${history.missedCount} missed` : "")),
      h("h2", {}, "History"), historyTable(jobId, finished.slice(0, HISTORY_ROWS)),
      h("h2", {}, "Spec"), h("pre", { id: "spec" }, JSON.stringify(spec, null, 2)));
  });
}

function schedulesTable(jobId, schedules) {
  if (!schedules.length) return h("p", { class: "muted" }, "No schedule: runs start on demand.");
  const editable = may("update", jobId);
  return h("table", { id: "schedules" },
    h("thead", {}, h("tr", {}, ["Schedule", "Cron", "Time zone", "Concurrency", "Next run", ""]
      .map((t) => h("th", {}, t)))),
    h("tbody", {}, schedules.map((s) => h("tr", { "data-schedule": s.id },
      h("td", {}, s.id), h("td", {}, h("code", {}, s.cron)), h("td", {}, s.timezone),
      h("td", {}, s.concurrencyPolicy),
      h("td", {}, s.enabled ? when(s.nextRunAt) : h("span", { class: "muted" }, "disabled")),
      h("td", {}, editable ? h("button", { class: "toggle", onclick: () => toggle(jobId, s) },
        s.enabled ? "Disable" : "Enable") : null)))));
}

async function toggle(jobId, schedule) {
  const body = { ...schedule, enabled: !schedule.enabled };
  delete body.nextRunAt;
  try {
    await api("PUT", `/v1/jobs/${enc(jobId)}/schedules/${enc(schedule.id)}`, body);
    flash(`Schedule ${schedule.id} ${body.enabled ? "enabled" : "disabled"}.`, "info");
    route();
  } catch (error) { flash(error.message); }
}

function stopButton(jobId, runId, after) {
  if (!may("update", jobId)) return null;
  return h("button", { class: "danger stop", onclick: async (event) => {
    event.target.disabled = true;
    try {
      await api("POST", `/v1/jobs/${enc(jobId)}/runs/${enc(runId)}/actions/stop`);
      flash(`Run ${runId} stopped.`, "info");
      after();
    } catch (error) { flash(error.message); event.target.disabled = false; }
  } }, "Stop");
}

function runLink(jobId, runId) {
  return h("a", { href: `#/jobs/${enc(jobId)}/runs/${enc(runId)}` }, runId);
}

function activeRunsTable(jobId, runs) {
  if (!runs.length) return h("p", { class: "muted", id: "active-runs" }, "None.");
  return h("table", { id: "active-runs" },
    h("thead", {}, h("tr", {}, ["Run", "Status", "Started", ""].map((t) => h("th", {}, t)))),
    h("tbody", {}, runs.map((run) => h("tr", {},
      h("td", {}, runLink(jobId, run.id)), h("td", { class: run.status }, run.status),
      h("td", {}, when(run.createdAt)), h("td", {}, stopButton(jobId, run.id, route))))));
}

function historyTable(jobId, runs) {
  if (!runs.length) return h("p", { class: "muted", id: "history" }, "No finished run kept.");
  return h("table", { id: "history" },
    h("thead", {}, h("tr", {}, ["Run", "Outcome", "Started", "Finished", "Duration", "Reason"]
      .map((t) => h("th", {}, t)))),
    h("tbody", {}, runs.map((run) => {
      const reason = h("td", { class: "reason muted" }, describe(run.reason));
      if (!run.reason) fillReason(jobId, run.id, reason);
      return h("tr", { "data-run": run.id },
        h("td", {}, runLink(jobId, run.id)), h("td", { class: run.status }, run.status),
        h("td", {}, when(run.createdAt)), h("td", {}, when(run.finishedAt)),
        h("td", {}, duration(seconds(run.createdAt, run.finishedAt))), reason);
    })));
}

async function runDetails(jobId, runId) {
  // ?embed=details; null where the server keeps no details for the run.
  if (finishedDetails.has(runId)) return finishedDetails.get(runId);
  try {
    const run = await api("GET",
      `/v1/jobs/${enc(jobId)}/runs/${enc(runId)}?embed=details`);
    if (run.status === "SUCCESS" || run.status === "FAILED") finishedDetails.set(runId, run);
    return run;
  } catch (error) {
    if (error.status === 404) {
      finishedDetails.set(runId, null);
      return null;
    }
    throw error;
  }
}

function detailsOf(run) {
  return (run && (run.details || run)) || {};
}

async function fillReason(jobId, runId, cell) {
  const run = await runDetails(jobId, runId).catch(() => null);
  cell.textContent = describe(detailsOf(run).reason) || "—";
}

function runsChart(jobId, runs) {
  // Duration (height) and outcome (colour) of the recent runs, oldest on the left.
  const width = 800, height = 180, left = 48, bottom = 22, top = 10;
  const points = runs.map((r) => ({ run: r, at: parseTime(r.createdAt),
    s: seconds(r.createdAt, r.finishedAt) || 0 })).filter((p) => p.at).reverse();
  const chart = svg("svg", { class: "chart", id: "chart", viewBox: `0 0 ${width} ${height}`,
    preserveAspectRatio: "none", role: "img", "aria-label": "Duration and outcome of recent runs" });
  if (!points.length) {
    chart.append(svg("text", { x: width / 2, y: height / 2, "text-anchor": "middle" },
      "No finished runs yet"));
    return chart;
  }
  const longest = Math.max(...points.map((p) => p.s), 0.001);
  const first = points[0].at.getTime(), last = points[points.length - 1].at.getTime();
  const span = Math.max(last - first, 1);
  const plotW = width - left - 10, plotH = height - top - bottom;
  const x = (p) => left + (points.length === 1 ? plotW / 2 : ((p.at - first) / span) * plotW);
  const y = (s) => top + plotH - (s / longest) * plotH;
  chart.append(
    svg("line", { class: "axis", x1: left, y1: top + plotH, x2: width - 10, y2: top + plotH }),
    svg("line", { class: "axis", x1: left, y1: top, x2: left, y2: top + plotH }),
    svg("text", { x: left - 4, y: top + 8, "text-anchor": "end" }, duration(longest)),
    svg("text", { x: left - 4, y: top + plotH, "text-anchor": "end" }, "0"),
    svg("text", { x: left, y: height - 6 }, points[0].at.toLocaleString()),
    svg("text", { x: width - 10, y: height - 6, "text-anchor": "end" },
      points[points.length - 1].at.toLocaleString()));
  const barW = Math.max(2, Math.min(12, plotW / points.length - 2));
  for (const p of points) {
    const bar = svg("rect", { class: p.run.status === "SUCCESS" ? "ok" : "bad",
      x: x(p) - barW / 2, y: Math.min(y(p.s), top + plotH - 2), width: barW,
      height: Math.max(2, top + plotH - y(p.s)), "data-run": p.run.id });
    bar.append(svg("title", {}, `${p.run.id}: ${p.run.status}, ${duration(p.s)}`));
    bar.addEventListener("click", () => {
      location.hash = `#/jobs/${enc(jobId)}/runs/${enc(p.run.id)}`;
    });
    chart.append(bar);
  }
  return chart;
}

// ---- one run ----

async function findRun(jobId, runId) {
  // The run with its details; from the job's history where the server has no details.
  const run = await runDetails(jobId, runId);
  if (run) return run;
  const job = await api("GET", `/v1/jobs/${enc(jobId)}?embed=activeRuns&embed=history`);
  const active = (job.activeRuns || []).find((r) => r.id === runId);
  if (active) return active;
  const history = job.history || {};
  const ok = (history.successfulFinishedRuns || []).find((r) => r.id === runId);
  const bad = (history.failedFinishedRuns || []).find((r) => r.id === runId);
  if (ok || bad) {
    const r = ok || bad;
    return { ...r, completedAt: r.finishedAt, status: ok ? "SUCCESS" : "FAILED",
      tasks: (r.tasks || []).map((id) => (typeof id === "string" ? { id } : id)) };
  }
  throw new ApiError(404, { message: `Run ${runId} of ${jobId} is neither active nor in the history.` });
}

function runPage(jobId, runId) {
  const facts = h("div");
  const actions = h("div", { class: "bar" });
  const outputs = {};
  let streaming = null; // the task whose output is shown ("" for the latest)
  let latestOf = 0; // how many tasks the run had when the latest one's output was asked for
  const show = (taskId, taskCount) => {
    // Follow one task's output (the latest by default) in place of what was shown.
    for (const controller of pageAborts.splice(0)) controller.abort();
    streaming = taskId;
    latestOf = taskCount;
    for (const stream of ["stdout", "stderr"]) {
      outputs[stream].replaceChildren();
      outputs[stream].classList.remove("muted");
      follow(jobId, runId, stream, outputs[stream], taskId);
    }
  };
  main().replaceChildren(
    h("h1", {}, h("a", { href: `#/jobs/${enc(jobId)}` }, jobId), " / ", runId),
    actions, facts,
    h("div", { class: "grid2" }, ["stdout", "stderr"].map((stream) => h("div", {},
      h("h2", {}, stream), outputs[stream] = h("pre", { class: "output", id: stream }, "")))));
  return every(async (mine) => {
    const run = await findRun(jobId, runId);
    if (mine !== page) return;
    const details = detailsOf(run);
    const activeRun = !["SUCCESS", "FAILED"].includes(run.status);
    actions.replaceChildren(activeRun ? stopButton(jobId, runId, route) : "");
    const waiting = activeRun && run.status !== "ACTIVE" ? await queueReason(jobId, runId) : null;
    if (mine !== page) return;
    const tasks = details.tasks || run.tasks || [];
    facts.replaceChildren(h("table", { id: "run" }, h("tbody", {},
      fact("Status", h("span", { class: run.status, id: "run-status" }, run.status)),
      fact("Started", when(run.createdAt)),
      fact("Finished", when(run.completedAt || run.finishedAt)),
      fact("Duration", duration(seconds(run.createdAt, run.completedAt || run.finishedAt))),
      details.trigger ? fact("Triggered", describe(details.trigger)) : null,
      details.reason ? fact("Reason", describe(details.reason)) : null,
      waiting ? fact("Waiting", h("span", { id: "queue-reason" }, waiting)) : null,
      fact("Tasks", tasks.map((t, i) => h("div", { "data-task": t.id },
        h("code", {}, t.id), " ", describe({ status: t.status, exitCode: t.exitCode,
          started: t.startedAt && when(t.startedAt),
          ended: t.completedAt && when(t.completedAt) }), " ",
        tasks.length < 2 ? null
          : (streaming === t.id || (streaming === "" && i === tasks.length - 1))
            ? h("span", { class: "muted" }, "output shown")
            : h("button", { class: "plain show-output", onclick: () => show(t.id, 0) },
              "show output")))))));
    // The latest task's output; a restarted run's new task replaces its predecessor's.
    if (streaming === null || (streaming === "" && tasks.length > latestOf)) show("", tasks.length);
  });
}

function fact(name, value) {
  return h("tr", {}, h("th", {}, name), h("td", {}, value));
}

async function queueReason(jobId, runId) {
  // Why a run waits for placement (GET /v1/queue?embed=reason); null once it is placed.
  const queue = await api("GET", "/v1/queue?embed=reason");
  const entry = queue.find((e) => e.jobId === jobId);
  const run = entry && entry.runs.find((r) => r.runId === runId);
  return run ? run.reason : null;
}

async function follow(jobId, runId, stream, pre, taskId) {
  // A task's output (the latest task's without `taskId`), then what it writes next until it
  // ends (?follow=true).
  const controller = new AbortController();
  pageAborts.push(controller);
  const task = taskId ? `&task=${enc(taskId)}` : "";
  const path = `/v1/jobs/${enc(jobId)}/runs/${enc(runId)}/logs/${stream}?follow=true${task}`;
  try {
    const response = await request("GET", path, undefined, { signal: controller.signal });
    if (!response.ok) {
      const body = await response.json().catch(() => null);
      pre.classList.add("muted");
      pre.textContent = (body && body.message) || `No output (HTTP ${response.status}).`;
      return;
    }
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      const atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
      pre.append(decoder.decode(value, { stream: true }));
      if (atEnd) pre.scrollTop = pre.scrollHeight;
    }
    pre.append(decoder.decode());
  } catch (error) {
    if (error.name !== "AbortError" && error.status !== 401) {
      pre.textContent += `\n[output interrupted: ${error.message}]`;
    }
  }
}

// ---- create and edit ----

function printJson(value) {
  // JSON.stringify(value, null, 2), plus the line of each JsPath (/run/cpus, /run/args(0)).
  const lines = [];
  const at = {};
  const pad = (depth) => "  ".repeat(depth);
  const walk = (node, path, depth, prefix, comma) => {
    at[path || "/"] = lines.length + 1;
    const end = comma ? "," : "";
    if (Array.isArray(node) && node.length) {
      lines.push(`${pad(depth)}${prefix}[`);
      node.forEach((item, i) => walk(item, `${path}(${i})`, depth + 1, "", i < node.length - 1));
      lines.push(`${pad(depth)}]${end}`);
    } else if (node && typeof node === "object" && Object.keys(node).length) {
      lines.push(`${pad(depth)}${prefix}{`);
      const keys = Object.keys(node);
      keys.forEach((key, i) => walk(node[key], `${path}/${key}`, depth + 1,
        `${JSON.stringify(key)}: `, i < keys.length - 1));
      lines.push(`${pad(depth)}}${end}`);
    } else {
      lines.push(`${pad(depth)}${prefix}${JSON.stringify(node)}${end}`);
    }
  };
  walk(value, "", 0, "", false);
  return { text: lines.join("\n"), at };
}

function lineOf(at, path) {
  // The line of `path`, or of its nearest ancestor when the field is missing.
  for (let p = path; p; p = p.replace(/(\/[^/(]*|\(\d+\))$/, "")) {
    if (at[p]) return at[p];
  }
  return 1;
}

async function editJob(jobId) {
  let initial = JOB_TEMPLATE;
  if (jobId) {
    initial = await api("GET", `/v1/jobs/${enc(jobId)}`);
  }
  const area = h("textarea", { id: "job-json", spellcheck: "false" });
  const gutter = h("div", { class: "gutter" });
  const errors = h("ul", { class: "errors", id: "errors" });
  const drawGutter = (marks) => {
    const count = area.value.split("\n").length;
    gutter.replaceChildren(...Array.from({ length: count }, (_, i) => {
      const mark = marks && marks[i + 1];
      return h("div", mark ? { class: "err", title: mark } : {}, String(i + 1));
    }));
  };
  area.value = printJson(initial).text;
  area.addEventListener("input", () => drawGutter());
  area.addEventListener("scroll", () => { gutter.scrollTop = area.scrollTop; });
  const save = async () => {
    errors.replaceChildren();
    let body;
    try {
      body = JSON.parse(area.value);
    } catch (error) {
      errors.append(h("li", {}, `Not JSON: ${error.message}`));
      return;
    }
    try {
      const saved = jobId
        ? await api("PUT", `/v1/jobs/${enc(jobId)}`, body)
        : await api("POST", "/v1/jobs", body);
      flash(`Job ${saved.id} saved.`, "info");
      location.hash = `#/jobs/${enc(saved.id)}`;
    } catch (error) {
      if (error.status !== 422 || !error.body || !error.body.details) {
        errors.append(h("li", {}, error.message));
        return;
      }
      const printed = printJson(body); // reformatted, so each field has a known line
      area.value = printed.text;
      const marks = {};
      for (const detail of error.body.details) {
        const line = lineOf(printed.at, detail.path);
        const text = detail.errors.join("; ");
        marks[line] = marks[line] ? `${marks[line]}; ${text}` : text;
        errors.append(h("li", { "data-path": detail.path, "data-line": line },
          h("button", { class: "plain", type: "button", onclick: () => selectLine(area, line) },
            `line ${line}`), " ", h("code", {}, detail.path), ": ", text));
      }
      drawGutter(marks);
    }
  };
  main().replaceChildren(
    h("h1", {}, jobId ? `Edit ${jobId}` : "New job"),
    h("p", { class: "muted" }, jobId
      ? "The job as JSON; its schedules are kept (change them on the job's page)."
      : "The job as JSON, with its schedules if any."),
    h("div", { class: "editor" }, gutter, area), errors,
    h("div", { class: "bar" }, h("button", { class: "primary", id: "save", onclick: save }, "Save"),
      h("a", { href: jobId ? `#/jobs/${enc(jobId)}` : "#/" }, "Cancel")));
  drawGutter();
}

function selectLine(area, line) {
  const lines = area.value.split("\n");
  const start = lines.slice(0, line - 1).join("\n").length + (line > 1 ? 1 : 0);
  area.focus();
  area.setSelectionRange(start, start + lines[line - 1].length);
}

// ---- start ----

document.getElementById("logout").addEventListener("click", () => {
  sessionStorage.removeItem(AUTH_KEY);
  identity = null;
  showLogin("Signed out.");
});
window.addEventListener("hashchange", route);
route();
