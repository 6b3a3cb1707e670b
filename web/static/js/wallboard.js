// B2 wallboard: live counts from /ws/live; today's service level and abandon rate re-read
// from the API a moment after calls end (event-driven, throttled), never on a timer. The
// one-second timer only redraws the waiting times from timestamps already known.
import { $, api, dispatch, el, fmt, live, readJSON, throttle, translator } from "./lib/core.js";

const boot = readJSON("wb-boot");
const T = translator(boot.texts);
let board = boot.board;
// agents: id -> {state, groups: [group ids]}; calls: id -> entered_at (ACD clock)
const model = { offset: 0, calls: new Map(), queues: {}, agents: new Map(), acd: board.acd };
const STATES = ["available", "ringing", "on_call", "wrapup", "paused"];
const now = () => Date.now() / 1000 - model.offset;

function snapshot(s) {
  model.acd = !!s.acd;
  model.calls.clear();
  model.agents.clear();
  model.queues = {};
  if (!s.acd) return;
  model.offset = Date.now() / 1000 - s.at;
  for (const c of s.calls) model.calls.set(c.call_id, c.entered_at);
  for (const [g, ids] of Object.entries(s.queues)) model.queues[g] = ids.slice();
  for (const a of s.agents) {
    if (a.state !== "logged_out") model.agents.set(a.agent_id, { state: a.state, groups: (a.groups || []).map((g) => g[0]) });
  }
}

// an agent who just logged in: one request for their groups
const refetchSnapshot = throttle(async () => {
  try { snapshot(await api("GET", "/api/v1/supervision/snapshot")); render(); } catch { /* next event */ }
}, 250);
// the call's record is written just after the call ends: one read per burst of endings
const refreshFigures = throttle(async () => {
  try { board = await api("GET", "/api/v1/supervision/wallboard"); render(); } catch { /* kept */ }
}, 1000);

const handlers = {
  "snapshot": snapshot,
  "queue.changed": (d) => {
    model.queues[d.group_id] = d.entries.map((e) => e.call_id);
    for (const e of d.entries) model.calls.set(e.call_id, e.entered_at);
  },
  "agent.state_changed": (d) => {
    if (d.new === "logged_out") { model.agents.delete(d.agent_id); return; }
    const a = model.agents.get(d.agent_id);
    if (a) a.state = d.new;
    else refetchSnapshot();
  },
  "call.ended": (d) => { model.calls.delete(d.call_id); refreshFigures(); },
};

function waits(gid) {
  const t = now();
  return (model.queues[gid] || []).map((id) => t - (model.calls.get(id) ?? t));
}
const longest = (w) => (w.length ? fmt.duration(Math.max(...w)) : "–");

function counts(filter) {
  const out = Object.fromEntries(STATES.map((s) => [s, 0]));
  for (const a of model.agents.values()) if (filter(a) && a.state in out) out[a.state] += 1;
  return out;
}

const text = (id, value) => { $(id).textContent = value; };

function render() {
  $("wb-acd-down").hidden = model.acd;
  text("wb-date", `${board.date} · ${board.timezone}`);
  const all = Object.keys(model.queues).flatMap(waits);
  text("wb-waiting", fmt.number(all.length));
  text("wb-longest", longest(all));
  text("wb-sl", fmt.percent(board.service_level));
  text("wb-ab", fmt.percent(board.abandon_rate));
  text("wb-answered", fmt.number(board.answered_today));
  const total = counts(() => true);
  $("wb-states").replaceChildren(...STATES.map((s) => el("div", { class: `wb-tile wb-${s}`, "data-state": s },
    el("div", { class: "wb-label", text: T(s) }), el("div", { class: "wb-value", text: fmt.number(total[s]) }))));
  $("wb-groups").tBodies[0].replaceChildren(...board.groups.map((g) => {
    const w = waits(String(g.group_id));
    const mine = counts((a) => a.groups.includes(g.group_id));
    const logged = STATES.reduce((n, s) => n + mine[s], 0);
    const cell = (key, value, ...extra) => el("td", { "data-key": key, text: value }, ...extra);
    return el("tr", { "data-group": g.group_id },
      cell("name", g.name), cell("waiting", fmt.number(w.length)), cell("longest", longest(w)),
      cell("agents", `${fmt.number(mine.available)} / ${fmt.number(logged)}`),
      cell("answered", fmt.number(g.answered_today)), cell("abandoned", fmt.number(g.abandoned_today)),
      cell("sl", fmt.percent(g.service_level), el("small", { text: ` (${g.service_level_s} s)` })),
      cell("ab", fmt.percent(g.abandon_rate)));
  }));
  document.body.dataset.rendered = String((Number(document.body.dataset.rendered) || 0) + 1);
}

snapshot(boot.snapshot);
render();
setInterval(() => {
  // waiting times tick locally; nothing is asked of the server
  text("wb-longest", longest(Object.keys(model.queues).flatMap(waits)));
  document.querySelectorAll("#wb-groups tr[data-group]").forEach((tr) => {
    tr.querySelector("[data-key=longest]").textContent = longest(waits(tr.dataset.group));
  });
}, 1000);
live({
  onEvent: (type, data) => { if (dispatch(handlers, type, data)) render(); },
  onState: (state) => { $("wb-conn").dataset.state = state; },
});
