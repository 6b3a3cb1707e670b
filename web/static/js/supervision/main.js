// S5 supervision: a live model of queues, agents and calls kept up to date from /ws/live.
// The first paint comes from the snapshot embedded in the page; the WebSocket then sends a
// fresh snapshot and the hub's events, applied by a table of handlers. Nothing polls: the
// one-second timer only redraws durations from timestamps already known, and today's
// figures per group are re-read once after calls end.
import { $, api, dispatch, el, fmt, live, readJSON, throttle, translator } from "../lib/core.js";
import { createActions } from "./actions.js";
import { createReports } from "./reports.js";
import { sortable } from "./tables.js";

const boot = readJSON("sv-boot");
const T = translator(boot.texts);

const names = { agents: {}, groups: {} };
for (const a of boot.agents) names.agents[a.id] = a.name;
for (const g of boot.groups) names.groups[g.id] = g.name;
const groupSettings = Object.fromEntries(boot.groups.map((g) => [String(g.id), g]));
const reasonOf = (code) => boot.reasons[code] ?? code;

// calls: those in progress; ended: the last ones that ended, so an agent in wrap-up still
// shows whom they were talking to.
const model = { acd: false, offset: 0, agents: new Map(), calls: new Map(), queues: {},
                ended: new Map(), board: boot.board };

function applySnapshot(snap) {
  model.acd = !!snap.acd;
  model.agents.clear();
  model.calls.clear();
  model.queues = {};
  if (snap.names) {
    for (const [id, a] of Object.entries(snap.names.agents || {})) names.agents[id] = a.name;
    Object.assign(names.groups, snap.names.groups || {});
  }
  $("sv-acd-down").hidden = model.acd;
  if (!snap.acd) return;
  // The ACD clock need not be UNIX time: keep the offset to turn its stamps into ours.
  model.offset = Date.now() / 1000 - snap.at;
  for (const a of snap.agents || []) if (a.state !== "logged_out") model.agents.set(a.agent_id, a);
  for (const c of snap.calls || []) model.calls.set(c.call_id, c);
  for (const [gid, ids] of Object.entries(snap.queues || {})) model.queues[gid] = ids.slice();
}

const acdNow = () => Date.now() / 1000 - model.offset;

function call(id, at) {
  let c = model.calls.get(id);
  if (!c) {
    c = { call_id: id, direction: "inbound", state: "waiting", group_id: null, caller_number: "",
          caller_display: "", caller_name: "", agent_id: null, started_at: at, entered_at: at, answered_at: null };
    model.calls.set(id, c);
  }
  return c;
}

// An agent we know nothing about (new login): one request for their extension and groups.
const refetchSnapshot = throttle(async () => {
  try { applySnapshot(await api("GET", "/api/v1/supervision/snapshot")); schedule(); } catch { /* next event retries */ }
}, 250);

// Today's figures per group change when calls end: one read per burst of endings.
const refreshBoard = throttle(async () => {
  try { model.board = await api("GET", "/api/v1/supervision/wallboard"); schedule(); } catch { /* kept */ }
}, 1500);

const handlers = {
  "snapshot": (d) => applySnapshot(d),
  "call.started": (d) => Object.assign(call(d.call_id, d.at), {
    direction: d.direction, group_id: d.group_id, caller_number: d.caller_number, caller_display: d.caller_display,
    caller_name: d.caller_name, agent_id: d.agent_id, started_at: d.at, entered_at: d.at }),
  "call.queued": (d) => Object.assign(call(d.call_id, d.at), { group_id: d.group_id, state: "queued", entered_at: d.at }),
  "queue.changed": (d) => {
    model.queues[d.group_id] = d.entries.map((e) => e.call_id);
    for (const e of d.entries) {
      const c = call(e.call_id, e.entered_at);
      Object.assign(c, { caller_number: e.caller_number, caller_display: e.caller_display, caller_name: e.caller_name,
                         entered_at: e.entered_at, group_id: d.group_id });
      if (e.state) c.state = e.state;
    }
  },
  "call.offered": (d) => { call(d.call_id, d.at).state = "offering"; },
  "call.answered": (d) => Object.assign(call(d.call_id, d.at), { agent_id: d.agent_id, state: "connected", answered_at: d.at }),
  "external.connected": (d) => Object.assign(call(d.call_id, d.at), { state: "connected", answered_at: d.at }),
  "call.transferred": (d) => { call(d.call_id, d.at).state = "transferring"; },
  "call.held": (d) => { call(d.call_id, d.at).on_hold = true; },
  "call.resumed": (d) => { call(d.call_id, d.at).on_hold = false; },
  "agent.muted": (d) => { call(d.call_id, d.at).agent_muted = d.muted; },
  "call.ended": (d) => {
    const c = model.calls.get(d.call_id);
    if (c) {
      model.ended.set(d.call_id, c);
      if (model.ended.size > 200) model.ended.delete(model.ended.keys().next().value);
    }
    model.calls.delete(d.call_id);
    for (const ids of Object.values(model.queues)) {
      const i = ids.indexOf(d.call_id);
      if (i >= 0) ids.splice(i, 1);
    }
    refreshBoard();
  },
  "agent.change_deferred": (d) => {
    const a = model.agents.get(d.agent_id);
    if (!a) return;
    if (d.pending === "logged_out") a.pending_logout = true;
    else a.pending_pause = d.reason || "paused";
  },
  "agent.phone_changed": (d) => {
    const a = model.agents.get(d.agent_id);
    if (!a) { refetchSnapshot(); return; }
    a.phone = d.phone;
  },
  "agent.state_changed": (d) => {
    if (d.new === "logged_out") { model.agents.delete(d.agent_id); return; }
    const a = model.agents.get(d.agent_id);
    if (!a) { refetchSnapshot(); return; }
    Object.assign(a, { state: d.new, reason: d.reason, state_since: d.at, call_id: d.call_id });
    if (d.new === "paused") a.pending_pause = null;
  },
};

// -- what is shown --------------------------------------------------------------------------

const agentName = (id) => names.agents[id] || (id != null ? `#${id}` : "–");
const groupName = (id) => names.groups[id] || (id != null ? `#${id}` : "–");
const callerOf = (c) => (c ? [c.caller_name, fmt.phone(c.caller_number, c.caller_display)].filter(Boolean).join(" · ") || "?" : "");
const STATE_ORDER = { ringing: 0, on_call: 1, wrapup: 2, available: 3, paused: 4 };

/** "alert" / "warn" / "" for a wait in this group (its own thresholds, issue 14). */
function waitLevel(gid, seconds) {
  const g = groupSettings[String(gid)];
  if (!g || seconds == null) return "";
  if (seconds >= g.wait_alert_s) return "alert";
  return seconds >= g.wait_warn_s ? "warn" : "";
}
function slLevel(gid, value) {
  const g = groupSettings[String(gid)];
  if (!g || value == null) return "";
  if (value < g.sl_alert_pct) return "alert";
  return value < g.sl_warn_pct ? "warn" : "ok";
}
const waitsOf = (gid, now) => (model.queues[gid] || []).map((id) => now - (model.calls.get(id)?.entered_at ?? now));
const longest = (waits) => (waits.length ? Math.max(...waits) : null);

function renderQueues() {
  const box = $("sv-queues");
  const now = acdNow();
  const gids = Object.keys(model.queues).sort((a, b) => groupName(a).localeCompare(groupName(b)));
  box.replaceChildren(...gids.map((gid) => {
    const ids = model.queues[gid];
    const waits = waitsOf(gid, now);
    const top = longest(waits);
    return el("div", { class: "sv-queue card", "data-group": gid, "data-waiting": ids.length },
      el("h3", { text: groupName(gid) }),
      el("p", { class: "sv-queue-figures" },
        el("span", {}, `${T("Waiting")}: `, el("strong", { class: "sv-waiting", text: fmt.number(ids.length) })),
        el("span", {}, `${T("Longest wait")}: `,
          el("strong", { class: "sv-longest", "data-level": waitLevel(gid, top), text: fmt.duration(top) }))),
      ids.length
        ? el("ol", { class: "sv-callers" }, ...ids.map((id, i) => {
          const c = model.calls.get(id);
          return el("li", { "data-call": id, "data-position": i + 1 },
            el("span", { class: "sv-caller", text: callerOf(c) }), " ",
            el("span", { class: "sv-wait", "data-level": waitLevel(gid, waits[i]), text: fmt.duration(waits[i]) }),
            c && c.state === "offering" ? el("span", { class: "sv-tag", text: T("offering") }) : null);
        }))
        : el("p", { class: "empty", text: T("No call waiting.") }));
  }));
  if (!gids.length) box.append(el("p", { class: "empty", text: model.acd ? T("No call waiting.") : T("The call distribution is not running.") }));
}

const button = (act, label, fn, cls = "") => el("button", { type: "button", class: `btn btn-small ${cls}`, "data-act": act, onclick: fn, text: T(label) });

/** Asterisk's word on the agent's phone (issue 12): no call is offered while it is away, or
 * busy with a call the app did not make (during the app's own calls it says nothing new). */
function phoneTag(a) {
  if (a.phone === "unreachable") return el("span", { class: "sv-tag sv-phone", "data-phone": a.phone, text: T("phone unreachable") });
  if (a.phone === "in_use" && ["available", "paused", "wrapup"].includes(a.state)) {
    return el("span", { class: "sv-tag sv-phone", "data-phone": a.phone, text: T("phone busy") });
  }
  return null;
}

function stateCell(a) {
  let label = T(a.state);
  if (a.state === "paused" && a.reason) label += ` (${reasonOf(a.reason)})`;
  return el("td", {}, el("span", { class: `sv-state sv-${a.state}`, text: label }),
    a.pending_logout ? el("span", { class: "sv-pending", text: ` ${T("log-out pending")}` })
      : a.pending_pause ? el("span", { class: "sv-pending", text: ` ${T("pause pending")}` }) : null,
    phoneTag(a));
}

function currentCall(a) {
  if (!a.call_id) return "";
  const now = model.calls.get(a.call_id);
  if (now) return callerOf(now);
  const done = model.ended.get(a.call_id);
  return done ? `${callerOf(done)} (${T("ended")})` : "";
}

const agentSort = sortable($("sv-agents"), {
  agent: (a) => agentName(a.agent_id), extension: (a) => a.extension || "",
  groups: (a) => (a.groups || []).map((g) => groupName(g[0])).join(", "),
  state: (a) => STATE_ORDER[a.state] ?? 9, since: (a) => a.state_since, call: (a) => currentCall(a),
}, { key: "agent", onChange: () => schedule() });

function renderAgents() {
  const body = document.querySelector("#sv-agents tbody");
  const now = acdNow();
  const list = agentSort.sort(model.agents.values());
  body.replaceChildren(...list.map((a) => el("tr", { "data-agent": a.agent_id, "data-state": a.state },
    el("td", { class: "sv-name", text: agentName(a.agent_id) }),
    el("td", { text: a.extension || "" }),
    el("td", { text: (a.groups || []).map((g) => groupName(g[0])).join(", ") }),
    stateCell(a),
    el("td", { class: "sv-since num", text: fmt.duration(now - a.state_since) }),
    el("td", { class: "sv-current", text: currentCall(a) }),
    el("td", {}, el("div", { class: "sv-actions" },
      button("stats", "Statistics", () => reports.showStats(a.agent_id)),
      button("history", "History", () => reports.showHistory(a.agent_id)),
      a.state === "paused" ? null : button("pause", "Pause", () => actions.pauseAgent(a.agent_id)),
      button("logout", "Log agent out", () => actions.logoutAgent(a.agent_id), "btn-danger"))))));
  if (!list.length) body.append(el("tr", {}, el("td", { colspan: 7, class: "empty", text: T("No agent logged in.") })));
}

function renderGroups() {
  const body = document.querySelector("#sv-groups tbody");
  const now = acdNow();
  const blank = () => ({ available: 0, busy: 0, paused: 0, logged: 0 });
  const stats = {};
  for (const g of boot.groups) stats[g.id] = blank();
  for (const a of model.agents.values()) {
    for (const [gid] of a.groups || []) {
      const s = stats[gid] || (stats[gid] = blank());
      s.logged += 1;
      if (a.state === "available") s.available += 1;
      else if (a.state === "paused") s.paused += 1;
      else if (["on_call", "ringing", "wrapup"].includes(a.state)) s.busy += 1;
    }
  }
  const day = Object.fromEntries((model.board.groups || []).map((g) => [String(g.group_id), g]));
  const gids = Object.keys(stats).sort((a, b) => groupName(a).localeCompare(groupName(b)));
  body.replaceChildren(...gids.map((gid) => {
    const top = longest(waitsOf(gid, now));
    const s = stats[gid];
    const d = day[gid] || {};
    const num = (text, cls = "") => el("td", { class: `num ${cls}`, text });
    return el("tr", { "data-group": gid },
      el("td", { text: groupName(gid) }),
      num(fmt.number((model.queues[gid] || []).length)),
      el("td", { class: "num sv-longest", "data-level": waitLevel(gid, top), text: fmt.duration(top) }),
      num(fmt.number(s.available)), num(fmt.number(s.busy)), num(fmt.number(s.paused)), num(fmt.number(s.logged)),
      num(fmt.number(d.answered_today ?? 0)),
      el("td", { class: "num sv-sl", "data-level": slLevel(gid, d.service_level), text: fmt.percent(d.service_level),
                 title: d.service_level_s ? T("within %(t)s s", { t: d.service_level_s }) : null }),
      num(fmt.percent(d.abandon_rate)));
  }));
}

const callSort = sortable($("sv-calls"), {
  caller: (c) => callerOf(c), direction: (c) => T(c.direction), group: (c) => (c.group_id != null ? groupName(c.group_id) : ""),
  agent: (c) => (c.agent_id != null ? agentName(c.agent_id) : ""), duration: (c) => -c.started_at, state: (c) => T(c.state),
}, { key: "duration", dir: -1, onChange: () => schedule() });

function callActions(c) {
  const connected = c.state === "connected";
  return el("div", { class: "sv-actions" },
    button("transfer", "Transfer", () => actions.showTransfer(c.call_id)),
    c.agent_id != null || c.state === "offering" ? button("reject", "Send back to the queue", () => actions.rejectCall(c.call_id)) : null,
    button("hangup", "Hang up", () => actions.hangupCall(c.call_id), "btn-danger"),
    connected && c.agent_id != null ? button("listen", "Listen in…", () => actions.showSpy(c.call_id)) : null);
}

function renderCalls() {
  const body = document.querySelector("#sv-calls tbody");
  const now = acdNow();
  const list = callSort.sort(model.calls.values());
  body.replaceChildren(...list.map((c) => {
    const waiting = !c.answered_at && c.direction === "inbound";
    return el("tr", { "data-call": c.call_id, "data-state": c.state },
      el("td", { class: "sv-caller", text: callerOf(c) }), el("td", { text: T(c.direction) }),
      el("td", { text: c.group_id != null ? groupName(c.group_id) : "" }),
      el("td", { class: "sv-agent", text: c.agent_id != null ? agentName(c.agent_id) : "" }),
      el("td", { class: "sv-duration num", "data-level": waiting ? waitLevel(c.group_id, now - c.entered_at) : "",
                 text: fmt.duration(now - c.started_at) }),
      el("td", { class: "sv-call-state", text: [T(c.state), c.on_hold ? T("on hold") : "",
                                                  c.agent_muted ? T("muted") : ""].filter(Boolean).join(" · ") }),
      el("td", {}, callActions(c)));
  }));
  if (!list.length) body.append(el("tr", {}, el("td", { colspan: 7, class: "empty", text: T("No call in progress.") })));
}

const dialogRefreshers = new Set();
let pending = false;
function schedule() {
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => {
    pending = false;
    renderQueues(); renderAgents(); renderGroups(); renderCalls();
    for (const refresh of dialogRefreshers) refresh();
  });
}

function tick() {
  // durations only: cheap text updates, no rebuild while a button may be under the mouse
  const now = acdNow();
  document.querySelectorAll("#sv-agents tr[data-agent]").forEach((tr) => {
    const a = model.agents.get(Number(tr.dataset.agent));
    if (a) tr.querySelector(".sv-since").textContent = fmt.duration(now - a.state_since);
  });
  document.querySelectorAll("#sv-calls tr[data-call]").forEach((tr) => {
    const c = model.calls.get(tr.dataset.call);
    if (!c) return;
    const cell = tr.querySelector(".sv-duration");
    cell.textContent = fmt.duration(now - c.started_at);
    if (!c.answered_at && c.direction === "inbound") cell.dataset.level = waitLevel(c.group_id, now - c.entered_at);
  });
  document.querySelectorAll(".sv-queue[data-group]").forEach((card) => {
    const gid = card.dataset.group;
    card.querySelectorAll(".sv-callers li[data-call]").forEach((li) => {
      const c = model.calls.get(li.dataset.call);
      if (!c) return;
      const wait = li.querySelector(".sv-wait");
      wait.textContent = fmt.duration(now - c.entered_at);
      wait.dataset.level = waitLevel(gid, now - c.entered_at);
    });
  });
  document.querySelectorAll(".sv-queue[data-group], #sv-groups tr[data-group]").forEach((node) => {
    const cell = node.querySelector(".sv-longest");
    if (!cell) return;
    const top = longest(waitsOf(node.dataset.group, now));
    cell.textContent = fmt.duration(top);
    cell.dataset.level = waitLevel(node.dataset.group, top);
  });
}

// -- dialogs ----------------------------------------------------------------------------------

const dialog = $("sv-dialog");
function openDialog(title, content) {
  dialogRefreshers.clear();
  $("sv-dialog-title").textContent = title;
  $("sv-dialog-body").replaceChildren(content);
  if (!dialog.open) dialog.showModal();
}
dialog.addEventListener("close", () => dialogRefreshers.clear());

const actions = createActions({
  T, model, boot, agentName, callerOf, openDialog, closeDialog: () => dialog.close(),
  onDialogRender: (fn) => dialogRefreshers.add(fn),
});
const reports = createReports({ T, openDialog, agentName, groupName, reasonOf, boot });

// -- start ------------------------------------------------------------------------------------

const conn = $("sv-conn");
applySnapshot(boot.snapshot);
schedule();
setInterval(tick, 1000);
live({
  onEvent: (type, data) => {
    if (dispatch(handlers, type, data)) schedule();
    window.svEvents = (window.svEvents || 0) + 1;  // for the browser test: events seen
  },
  onState: (state) => {
    conn.dataset.state = state;
    conn.textContent = state === "open" ? T("Connected") : T("Disconnected: reconnecting…");
  },
});
