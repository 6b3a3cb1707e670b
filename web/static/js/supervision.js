// S5 supervision: a live model of queues, agents and calls kept up to date from /ws/live.
// The first paint comes from the snapshot embedded in the page; the WebSocket then sends a
// fresh snapshot and the hub's events. Nothing here polls the server: the one-second timer
// only redraws durations from timestamps already known.
"use strict";

(() => {
  const boot = JSON.parse(document.getElementById("sv-boot").textContent);
  const T = (w) => boot.texts[w] || w;
  const headers = (() => {
    try { return JSON.parse(document.body.getAttribute("hx-headers")) || {}; }
    catch (e) { return {}; }
  })();

  const names = { agents: {}, groups: {} };
  for (const a of boot.agents) names.agents[a.id] = a.name;
  for (const g of boot.groups) names.groups[g.id] = g.name;
  const reasonLabels = Object.fromEntries(boot.pause_reasons.map((r) => [r.code, r.label]));

  // calls: those in progress; ended: the last ones that ended, so an agent in wrap-up still
  // shows whom they were talking to.
  const model = { acd: false, offset: 0, agents: new Map(), calls: new Map(), queues: {}, ended: new Map() };

  function applySnapshot(snap) {
    model.acd = !!snap.acd;
    model.agents.clear();
    model.calls.clear();
    model.queues = {};
    if (snap.names) {
      for (const [id, a] of Object.entries(snap.names.agents || {})) names.agents[id] = a.name;
      Object.assign(names.groups, snap.names.groups || {});
    }
    document.getElementById("sv-acd-down").hidden = model.acd;
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
      c = { call_id: id, direction: "inbound", state: "waiting", group_id: null,
            caller_number: "", caller_name: "", agent_id: null, started_at: at, entered_at: at,
            answered_at: null };
      model.calls.set(id, c);
    }
    return c;
  }

  let refetching = false;
  async function refetchSnapshot() {
    // An agent we know nothing about (new login): one request for their extension and groups.
    if (refetching) return;
    refetching = true;
    try {
      const r = await fetch("/api/v1/supervision/snapshot", { credentials: "same-origin" });
      if (r.ok) { applySnapshot(await r.json()); schedule(); }
    } finally { refetching = false; }
  }

  const handlers = {
    "snapshot": (d) => applySnapshot(d),
    "call.started": (d) => Object.assign(call(d.call_id, d.at), {
      direction: d.direction, group_id: d.group_id, caller_number: d.caller_number,
      caller_name: d.caller_name, agent_id: d.agent_id, started_at: d.at, entered_at: d.at }),
    "call.queued": (d) => Object.assign(call(d.call_id, d.at), {
      group_id: d.group_id, state: "queued", entered_at: d.at }),
    "queue.changed": (d) => {
      model.queues[d.group_id] = d.entries.map((e) => e.call_id);
      for (const e of d.entries) {
        const c = call(e.call_id, e.entered_at);
        Object.assign(c, { caller_number: e.caller_number, caller_name: e.caller_name,
                           entered_at: e.entered_at, group_id: d.group_id });
        if (e.state) c.state = e.state;
      }
    },
    "call.offered": (d) => { call(d.call_id, d.at).state = "offering"; },
    "call.answered": (d) => Object.assign(call(d.call_id, d.at), {
      agent_id: d.agent_id, state: "connected", answered_at: d.at }),
    "external.connected": (d) => Object.assign(call(d.call_id, d.at), {
      state: "connected", answered_at: d.at }),
    "call.transferred": (d) => { call(d.call_id, d.at).state = "transferring"; },
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
    },
    "agent.change_deferred": (d) => {
      const a = model.agents.get(d.agent_id);
      if (!a) return;
      if (d.pending === "logged_out") a.pending_logout = true;
      else a.pending_pause = d.reason || "paused";
    },
    "agent.state_changed": (d) => {
      if (d.new === "logged_out") { model.agents.delete(d.agent_id); return; }
      const a = model.agents.get(d.agent_id);
      if (!a) { refetchSnapshot(); return; }
      Object.assign(a, { state: d.new, reason: d.reason, state_since: d.at, call_id: d.call_id });
      if (d.new === "paused") a.pending_pause = null;
    },
  };

  // -- rendering -------------------------------------------------------------------------

  const el = (tag, attrs = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === "onclick") node.addEventListener("click", v);
      else if (k === "text") node.textContent = v;
      else if (v !== null && v !== undefined && v !== false) node.setAttribute(k, v);
    }
    for (const c of children) if (c != null) node.append(c);
    return node;
  };
  const dur = (s) => {
    if (s == null || !isFinite(s)) return "–";
    s = Math.max(0, Math.floor(s));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    const mm = String(m).padStart(2, "0"), ss = String(sec).padStart(2, "0");
    return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
  };
  const agentName = (id) => names.agents[id] || (id != null ? `#${id}` : "–");
  const groupName = (id) => names.groups[id] || (id != null ? `#${id}` : "–");
  const callerOf = (c) => c ? [c.caller_name, c.caller_number].filter(Boolean).join(" · ") || "?" : "";
  const reasonOf = (code) => reasonLabels[code] || code;

  function renderQueues() {
    const box = document.getElementById("sv-queues");
    box.replaceChildren();
    const now = acdNow();
    const gids = Object.keys(model.queues).sort((a, b) => groupName(a).localeCompare(groupName(b)));
    for (const gid of gids) {
      const ids = model.queues[gid];
      const waits = ids.map((id) => now - (model.calls.get(id)?.entered_at ?? now));
      const card = el("div", { class: "sv-queue card", "data-group": gid, "data-waiting": ids.length },
        el("h3", { text: groupName(gid) }),
        el("p", { class: "sv-queue-figures" },
          el("span", {}, `${T("Waiting")}: `, el("strong", { class: "sv-waiting", text: String(ids.length) })),
          el("span", {}, `${T("Longest wait")}: `,
            el("strong", { class: "sv-longest", text: dur(waits.length ? Math.max(...waits) : null) }))));
      const list = el("ol", { class: "sv-callers" });
      ids.forEach((id, i) => {
        const c = model.calls.get(id);
        list.append(el("li", { "data-call": id, "data-position": i + 1 },
          el("span", { class: "sv-caller", text: callerOf(c) }), " ",
          el("span", { class: "sv-wait", text: dur(waits[i]) }),
          c && c.state === "offering" ? el("span", { class: "sv-tag", text: T("offering") }) : null));
      });
      card.append(ids.length ? list : el("p", { class: "empty", text: T("No call waiting.") }));
      box.append(card);
    }
    if (!gids.length) box.append(el("p", { class: "empty", text: model.acd ? T("No call waiting.") : T("The call distribution is not running.") }));
  }

  function agentActions(a) {
    const btn = (act, label, fn, cls = "") => el("button", { type: "button", class: `btn btn-small ${cls}`, "data-act": act, onclick: fn, text: T(label) });
    return el("div", { class: "sv-actions" },
      btn("stats", "Statistics", () => showStats(a.agent_id)),
      btn("history", "History", () => showHistory(a.agent_id)),
      a.state === "paused" ? null : btn("pause", "Pause", () => pauseAgent(a.agent_id)),
      btn("logout", "Log agent out", () => logoutAgent(a.agent_id), "btn-danger"));
  }

  function stateCell(a) {
    let label = T(a.state);
    if (a.state === "paused" && a.reason) label += ` (${reasonOf(a.reason)})`;
    const cell = el("td", {}, el("span", { class: `sv-state sv-${a.state}`, text: label }));
    if (a.pending_logout) cell.append(" ", el("span", { class: "sv-pending", text: T("log-out pending") }));
    else if (a.pending_pause) cell.append(" ", el("span", { class: "sv-pending", text: T("pause pending") }));
    return cell;
  }

  function currentCall(a) {
    if (!a.call_id) return "";
    const live = model.calls.get(a.call_id);
    if (live) return callerOf(live);
    const done = model.ended.get(a.call_id);
    return done ? `${callerOf(done)} (${T("ended")})` : "";
  }

  function renderAgents() {
    const body = document.querySelector("#sv-agents tbody");
    body.replaceChildren();
    const now = acdNow();
    const list = [...model.agents.values()].sort((a, b) => agentName(a.agent_id).localeCompare(agentName(b.agent_id)));
    for (const a of list) {
      body.append(el("tr", { "data-agent": a.agent_id, "data-state": a.state },
        el("td", { text: agentName(a.agent_id) }),
        el("td", { text: a.extension || "" }),
        el("td", { text: (a.groups || []).map((g) => groupName(g[0])).join(", ") }),
        stateCell(a),
        el("td", { class: "sv-since", text: dur(now - a.state_since) }),
        el("td", { class: "sv-current", text: currentCall(a) }),
        el("td", {}, agentActions(a))));
    }
    if (!list.length) body.append(el("tr", {}, el("td", { colspan: 7, class: "empty", text: T("No agent logged in.") })));
  }

  function renderGroups() {
    const body = document.querySelector("#sv-groups tbody");
    body.replaceChildren();
    const now = acdNow();
    const blank = () => ({ available: 0, on_call: 0, paused: 0, logged: 0 });
    const stats = {};
    for (const g of boot.groups) stats[g.id] = blank();
    for (const a of model.agents.values()) {
      for (const [gid] of a.groups || []) {
        const s = stats[gid] || (stats[gid] = blank());
        s.logged += 1;
        if (a.state === "available") s.available += 1;
        else if (a.state === "paused") s.paused += 1;
        else if (["on_call", "ringing", "wrapup"].includes(a.state)) s.on_call += 1;
      }
    }
    for (const gid of Object.keys(stats).sort((a, b) => groupName(a).localeCompare(groupName(b)))) {
      const ids = model.queues[gid] || [];
      const waits = ids.map((id) => now - (model.calls.get(id)?.entered_at ?? now));
      const s = stats[gid];
      body.append(el("tr", { "data-group": gid },
        el("td", { text: groupName(gid) }), el("td", { class: "num", text: String(ids.length) }),
        el("td", { class: "num sv-longest", text: dur(waits.length ? Math.max(...waits) : null) }),
        el("td", { class: "num", text: String(s.available) }), el("td", { class: "num", text: String(s.on_call) }),
        el("td", { class: "num", text: String(s.paused) }), el("td", { class: "num", text: String(s.logged) })));
    }
  }

  function callActions(c) {
    const btn = (act, label, fn, cls = "") => el("button", { type: "button", class: `btn btn-small ${cls}`, "data-act": act, onclick: fn, text: T(label) });
    const connected = c.state === "connected";
    return el("div", { class: "sv-actions" },
      btn("transfer", "Transfer", () => showTransfer(c.call_id)),
      c.agent_id != null || c.state === "offering"
        ? btn("reject", "Send back to the queue", () => act("/api/v1/supervision/calls/reject", { call_id: c.call_id }))
        : null,
      btn("hangup", "Hang up", () => confirm(T("Hang up this call?")) && act("/api/v1/supervision/calls/hangup", { call_id: c.call_id }), "btn-danger"),
      connected ? btn("listen", "Listen", () => showSpy(c.call_id, "listen")) : null,
      connected ? btn("whisper", "Whisper", () => showSpy(c.call_id, "whisper")) : null,
      connected ? btn("barge", "Barge", () => showSpy(c.call_id, "barge")) : null);
  }

  function renderCalls() {
    const body = document.querySelector("#sv-calls tbody");
    body.replaceChildren();
    const now = acdNow();
    const list = [...model.calls.values()].sort((a, b) => a.started_at - b.started_at);
    for (const c of list) {
      body.append(el("tr", { "data-call": c.call_id, "data-state": c.state },
        el("td", { class: "sv-caller", text: callerOf(c) }), el("td", { text: T(c.direction) }),
        el("td", { text: c.group_id != null ? groupName(c.group_id) : "" }),
        el("td", { class: "sv-agent", text: c.agent_id != null ? agentName(c.agent_id) : "" }),
        el("td", { class: "sv-duration", text: dur(now - c.started_at) }),
        el("td", { class: "sv-call-state", text: T(c.state) }),
        el("td", {}, callActions(c))));
    }
    if (!list.length) body.append(el("tr", {}, el("td", { colspan: 7, class: "empty", text: T("No call in progress.") })));
  }

  let pending = false;
  function schedule() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      renderQueues(); renderAgents(); renderGroups(); renderCalls();
    });
  }

  function tick() {
    // durations only: cheap text updates, no rebuild while a button may be under the mouse
    const now = acdNow();
    document.querySelectorAll("#sv-agents tr[data-agent]").forEach((tr) => {
      const a = model.agents.get(Number(tr.dataset.agent));
      if (a) tr.querySelector(".sv-since").textContent = dur(now - a.state_since);
    });
    document.querySelectorAll("#sv-calls tr[data-call]").forEach((tr) => {
      const c = model.calls.get(tr.dataset.call);
      if (c) tr.querySelector(".sv-duration").textContent = dur(now - c.started_at);
    });
    document.querySelectorAll(".sv-callers li[data-call]").forEach((li) => {
      const c = model.calls.get(li.dataset.call);
      if (c) li.querySelector(".sv-wait").textContent = dur(now - c.entered_at);
    });
    const longest = (gid) => {
      const waits = (model.queues[gid] || []).map((id) => now - (model.calls.get(id)?.entered_at ?? now));
      return dur(waits.length ? Math.max(...waits) : null);
    };
    document.querySelectorAll(".sv-queue[data-group], #sv-groups tr[data-group]").forEach((node) => {
      const cell = node.querySelector(".sv-longest");
      if (cell) cell.textContent = longest(node.dataset.group);
    });
  }

  // -- actions ----------------------------------------------------------------------------

  function flash(text, kind = "success") {
    const box = document.getElementById("sv-flash");
    box.className = `alert alert-${kind}`;
    box.textContent = text;
    box.hidden = false;
    clearTimeout(flash.timer);
    flash.timer = setTimeout(() => { box.hidden = true; }, 8000);
  }

  // POST an action; the outcome (the server's sentence, in the user's language) is shown
  // in the flash box and, when given, in the dialog that asked for it.
  async function act(url, body, where = null) {
    let r, data;
    try {
      r = await fetch(url, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", ...headers },
        body: JSON.stringify(body),
      });
      data = await r.json().catch(() => ({}));
    } catch (e) {
      r = { ok: false, status: 0 }; data = {};
    }
    const text = r.ok ? (data.message || T("Done.")) : (data.error ? data.error.message : `${T("Error")} ${r.status}`);
    const fields = !r.ok && data.error && data.error.fields ? Object.values(data.error.fields).join(" · ") : "";
    const full = fields && !text.includes(fields) ? `${text} (${fields})` : text;
    flash(full, r.ok ? "success" : "error");
    if (where) {
      where.textContent = full;
      where.className = `alert alert-${r.ok ? "success" : "error"} sv-result`;
      where.hidden = false;
    }
    return r.ok ? data : null;
  }

  const resultBox = () => el("div", { class: "sv-result", role: "status", hidden: "" });

  function pauseAgent(id) {
    const form = el("form", { class: "stack" });
    const select = el("select", { name: "reason" }, ...boot.pause_reasons.map((r) => el("option", { value: r.code, text: r.label })));
    const result = resultBox();
    form.append(el("label", {}, T("Reason"), " ", select), result,
      el("div", { class: "form-actions" }, el("button", { type: "submit", class: "btn btn-primary", text: T("Pause") })));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      if (await act(`/api/v1/supervision/agents/${id}/pause`, { reason: select.value }, result)) dialog.close();
    });
    openDialog(`${T("Pause")} · ${agentName(id)}`, form);
  }

  function logoutAgent(id) {
    if (confirm(`${T("Log this agent out?")} ${agentName(id)}`)) act(`/api/v1/supervision/agents/${id}/logout`, {});
  }

  function showTransfer(callId) {
    const kind = el("select", { name: "kind" },
      el("option", { value: "agent", text: T("Agent") }), el("option", { value: "group", text: T("Group") }),
      el("option", { value: "number", text: T("Number") }));
    // the agents logged in first, with their state: only an available one can take it
    const agents = boot.agents.filter((a) => a.role === "agent").map((a) => {
      const live = model.agents.get(a.id);
      return { id: a.id, name: a.name, state: live ? live.state : "logged_out" };
    }).sort((a, b) => (a.state === "available" ? 0 : 1) - (b.state === "available" ? 0 : 1) || a.name.localeCompare(b.name));
    const agentSel = el("select", { name: "agent" }, ...agents.map((a) => el("option", { value: a.id, text: `${a.name} — ${T(a.state)}` })));
    const groupSel = el("select", { name: "group" }, ...boot.groups.map((g) => el("option", { value: g.id, text: g.name })));
    const number = el("input", { type: "tel", name: "number", maxlength: 32, placeholder: "+33…" });
    const slot = el("span", { class: "sv-target" }, agentSel);
    kind.addEventListener("change", () => slot.replaceChildren({ agent: agentSel, group: groupSel, number }[kind.value]));
    const result = resultBox();
    const form = el("form", { class: "stack" }, el("label", {}, T("Transfer to"), " ", kind), slot, result,
      el("div", { class: "form-actions" }, el("button", { type: "submit", class: "btn btn-primary", text: T("Transfer") })));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const value = { agent: agentSel.value, group: groupSel.value, number: number.value.trim() }[kind.value];
      const done = await act("/api/v1/supervision/calls/transfer", { call_id: callId, kind: kind.value, value: String(value) }, result);
      if (done) dialog.close();
    });
    openDialog(`${T("Transfer")} · ${callerOf(model.calls.get(callId))}`, form);
  }

  function showSpy(callId, mode) {
    const ext = el("input", { type: "text", name: "extension", required: "", maxlength: 64, inputmode: "tel",
                              value: localStorage.getItem("sv-extension") || "" });
    const result = resultBox();
    const submit = el("button", { type: "submit", class: "btn btn-primary", text: T(mode === "listen" ? "Listen" : mode === "whisper" ? "Whisper" : "Barge") });
    const form = el("form", { class: "stack sv-spy" },
      el("p", { class: "muted", text: T(`help.${mode}`) }),
      el("label", {}, T("Your phone (extension)"), " ", ext), result,
      el("div", { class: "form-actions" }, submit));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      localStorage.setItem("sv-extension", ext.value.trim());
      const data = await act("/api/v1/supervision/calls/spy", { call_id: callId, mode, extension: ext.value.trim() }, result);
      if (data && data.details && data.details.spy_id) {
        submit.replaceWith(el("button", { type: "button", class: "btn btn-danger", "data-act": "stop-spy", text: T("Stop"),
          onclick: async () => { if (await act("/api/v1/supervision/spies/stop", { spy_id: data.details.spy_id }, result)) dialog.close(); } }));
      }
    });
    openDialog(`${T(mode === "listen" ? "Listen" : mode === "whisper" ? "Whisper" : "Barge")} · ${callerOf(model.calls.get(callId))}`, form);
    ext.focus();
  }

  const dialog = document.getElementById("sv-dialog");
  function openDialog(title, content) {
    document.getElementById("sv-dialog-title").textContent = title;
    document.getElementById("sv-dialog-body").replaceChildren(content);
    if (!dialog.open) dialog.showModal();
  }

  // -- the agent's statistics and history (the "Actions" column) ---------------------------

  function periodForm(onChange) {
    const from = el("input", { type: "date", name: "from", value: boot.today });
    const to = el("input", { type: "date", name: "to", value: boot.today });
    const quick = ["today", "yesterday", "this_week", "this_month"].map((r) =>
      el("button", { type: "button", class: "btn btn-small", "data-range": r, text: T(`range.${r}`),
                     onclick: () => onChange({ range: r }) }));
    const form = el("form", { class: "sv-period" }, ...quick,
      el("label", {}, T("From"), " ", from), el("label", {}, T("To"), " ", to),
      el("button", { type: "submit", class: "btn btn-small btn-primary", text: T("Show") }));
    const dates = () => ({ from: from.value, to: to.value });
    form.addEventListener("submit", (e) => { e.preventDefault(); onChange(dates()); });
    // the server says which dates a quick range meant (in the call centre's time zone)
    const shown = (interval) => { from.value = interval.from; to.value = interval.to; };
    return { form, from, to, shown, dates };
  }

  // Each dialog's loads are numbered: the answer to an older choice is dropped, it must
  // not overwrite the newer one (nor the dates the supervisor is typing).
  function latestOnly() {
    let n = 0;
    return () => { const mine = ++n; return () => mine === n; };
  }

  async function getJSON(url) {
    const r = await fetch(url, { credentials: "same-origin" });
    const data = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(data.error ? data.error.message : `${T("Error")} ${r.status}`);
    return data;
  }

  function showStats(id) {
    const out = el("div", { class: "sv-stats-out" });
    const period = periodForm((p) => load(p));
    const fresh = latestOnly();
    async function load(p) {
      const current = fresh();
      out.replaceChildren(el("p", { text: T("Loading…") }));
      try {
        const s = await getJSON(`/api/v1/stats/agents/${id}/calls?${new URLSearchParams(p)}`);
        if (!current()) return;
        period.shown(s.interval);
        const rows = [["Received", s.received], ["Answered", s.answered], ["Rejected", s.rejected],
          ["Transferred", s.transferred], ["Missed", s.missed], ["Calls handled", s.handled],
          ["Talk time", dur(s.talk_s)], ["Pause time", dur(s.pause_s)], ["Logged in", dur(s.logged_s)],
          ["Average handle time", dur(s.aht_s)],
          ["Occupancy", s.occupancy == null ? "–" : `${s.occupancy.toFixed(1)} %`]];
        const reasons = Object.entries(s.pause_by_reason || {}).sort();
        out.replaceChildren(
          el("p", { class: "muted sv-interval", text: `${s.interval.from} – ${s.interval.to} (${s.interval.timezone})` }),
          el("table", { class: "table table-compact sv-agent-stats" },
            el("tbody", {}, ...rows.map(([k, v]) => el("tr", { "data-key": k }, el("th", { text: T(k) }), el("td", { class: "num", text: String(v) }))),
              ...reasons.map(([r, secs]) => el("tr", { "data-reason": r }, el("th", { text: `${T("Pause")} · ${reasonOf(r) || "–"}` }), el("td", { class: "num", text: dur(secs) }))))));
      } catch (e) { if (current()) out.replaceChildren(el("p", { class: "alert alert-error", text: e.message })); }
    }
    openDialog(`${T("Statistics")} · ${agentName(id)}`, el("div", {}, period.form, out));
    load({ range: "today" });
  }

  const KINDS = ["call", "intervention", "rejection", "missed", "transfer", "pause", "login", "logout", "audit"];

  function describe(a) {
    const d = a.details;
    const caller = d.caller_number || "";
    const group = d.group_id != null ? groupName(d.group_id) : "";
    switch (a.kind) {
      case "call":
        return [caller, group, d.direction ? T(d.direction) : "", d.talk_s != null ? `${T("Talk time")} ${dur(d.talk_s)}` : "", d.outcome ? T(`outcome.${d.outcome}`) : ""];
      case "intervention":
        return [d.client || "", d.excerpt || ""];
      case "rejection": case "missed":
        return [caller, group, d.forced ? T("forced by a supervisor") : ""];
      case "transfer":
        return [caller, group, `→ ${d.to_agent_id != null ? agentName(d.to_agent_id) : d.to_group_id != null ? groupName(d.to_group_id) : T("Number")}`];
      case "pause":
        return [reasonOf(d.reason), d.duration_s != null ? dur(d.duration_s) : T("in progress")];
      case "login":
        return [d.extension ? `${T("Extension")} ${d.extension}` : "", d.state ? T(d.state) : ""];
      case "logout":
        return [d.extension ? `${T("Extension")} ${d.extension}` : ""];
      case "audit":
        return [T(`audit.${d.action}`) !== `audit.${d.action}` ? T(`audit.${d.action}`) : d.action,
                d.actor_login ? `${T("by")} ${d.actor_login}` : "",
                d.details && d.details.reason ? reasonOf(d.details.reason) : ""];
      default:
        return [];
    }
  }

  function showHistory(id) {
    const out = el("div", { class: "sv-history-out" });
    // params: a quick range until the server has said its dates, then the dates shown
    let offset = 0; let params = { range: "today" };
    const limit = 20;
    const kinds = el("select", { name: "kinds", "aria-label": T("Kind") }, el("option", { value: "", text: T("All actions") }),
      ...KINDS.map((k) => el("option", { value: k, text: T(`kind.${k}`) })));
    const period = periodForm((p) => { params = p; offset = 0; load(); });
    period.form.prepend(el("label", {}, T("Kind"), " ", kinds));
    kinds.addEventListener("change", () => { params = period.dates(); offset = 0; load(); });
    const fresh = latestOnly();
    async function load() {
      const current = fresh();
      out.replaceChildren(el("p", { text: T("Loading…") }));
      try {
        const q = new URLSearchParams({ ...params, limit, offset });
        if (kinds.value) q.set("kinds", kinds.value);
        const p = await getJSON(`/api/v1/stats/agents/${id}/actions?${q}`);
        if (!current()) return;
        period.shown(p.interval);
        params = period.dates();
        const table = el("table", { class: "table table-compact sv-history" },
          el("thead", {}, el("tr", {}, el("th", { text: T("Time") }), el("th", { text: T("Action") }), el("th", { text: T("Details") }))),
          el("tbody", {}, ...p.items.map((a) => el("tr", { "data-kind": a.kind },
            el("td", { class: "nowrap", text: a.local_time.slice(0, 19).replace("T", " ") }),
            el("td", { text: T(`kind.${a.kind}`) }),
            el("td", { text: describe(a).filter(Boolean).join(" · ") })))));
        const prev = el("button", { type: "button", class: "btn btn-small", "data-page": "prev", text: T("Previous"), onclick: () => { offset = Math.max(0, offset - limit); load(); } });
        const next = el("button", { type: "button", class: "btn btn-small", "data-page": "next", text: T("Next"), onclick: () => { offset += limit; load(); } });
        prev.disabled = offset === 0;
        next.disabled = offset + limit >= p.total;
        out.replaceChildren(p.items.length ? table : el("p", { class: "empty", text: T("no entry") }),
          el("div", { class: "pager" }, prev,
            el("span", { class: "sv-page", text: ` ${p.total ? offset + 1 : 0}–${Math.min(offset + limit, p.total)} / ${p.total} ` }), next));
      } catch (e) { if (current()) out.replaceChildren(el("p", { class: "alert alert-error", text: e.message })); }
    }
    openDialog(`${T("History")} · ${agentName(id)}`, el("div", {}, period.form, out));
    load();
  }

  // -- live connection ----------------------------------------------------------------------

  const conn = document.getElementById("sv-conn");
  let backoff = 500;
  function connect() {
    const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/live`);
    ws.onopen = () => { backoff = 500; conn.dataset.state = "open"; conn.textContent = T("Connected"); };
    ws.onmessage = (m) => {
      const msg = JSON.parse(m.data);
      const h = handlers[msg.type];
      if (h) { h(msg.data); schedule(); }
      window.svEvents = (window.svEvents || 0) + 1;  // for the browser test: events seen
    };
    ws.onclose = () => {
      conn.dataset.state = "closed"; conn.textContent = T("Disconnected: reconnecting…");
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 15000);
    };
  }

  applySnapshot(boot.snapshot);
  schedule();
  setInterval(tick, 1000);
  connect();
})();
