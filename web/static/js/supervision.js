// S5 supervision: a live model of queues, agents and calls kept up to date from /ws/live.
// The first paint comes from the snapshot embedded in the page; the WebSocket then sends a
// fresh snapshot and the hub's events. Nothing here polls the server: the one-second timer
// only redraws durations from timestamps already known.
"use strict";

(() => {
  const boot = JSON.parse(document.getElementById("sv-boot").textContent);
  const T = (w) => boot.texts[w] || w;
  const csrf = (() => {
    try { return Object.values(JSON.parse(document.body.getAttribute("hx-headers")))[0]; }
    catch (e) { return ""; }
  })();
  const csrfHeader = (() => {
    try { return Object.keys(JSON.parse(document.body.getAttribute("hx-headers")))[0]; }
    catch (e) { return "X-CSRF-Token"; }
  })();

  const names = { agents: {}, groups: {} };
  for (const a of boot.agents) names.agents[a.id] = a.name;
  for (const g of boot.groups) names.groups[g.id] = g.name;

  const model = { acd: false, offset: 0, agents: new Map(), calls: new Map(), queues: {} };

  function applySnapshot(snap) {
    model.acd = !!snap.acd;
    model.agents.clear();
    model.calls.clear();
    model.queues = {};
    if (snap.names) {
      for (const [id, a] of Object.entries(snap.names.agents || {})) names.agents[id] = a.name;
      Object.assign(names.groups, snap.names.groups || {});
    }
    if (!snap.acd) return;
    // The ACD clock need not be UNIX time: keep the offset to turn its stamps into ours.
    model.offset = Date.now() / 1000 - snap.at;
    for (const a of snap.agents || []) model.agents.set(a.agent_id, a);
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
      model.calls.delete(d.call_id);
      for (const ids of Object.values(model.queues)) {
        const i = ids.indexOf(d.call_id);
        if (i >= 0) ids.splice(i, 1);
      }
    },
    "agent.state_changed": (d) => {
      if (d.new === "logged_out") { model.agents.delete(d.agent_id); return; }
      const a = model.agents.get(d.agent_id);
      if (!a) { refetchSnapshot(); return; }
      Object.assign(a, { state: d.new, reason: d.reason, state_since: d.at, call_id: d.call_id });
    },
  };

  // -- rendering -------------------------------------------------------------------------

  const el = (tag, attrs = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === "onclick") node.addEventListener("click", v);
      else if (k === "text") node.textContent = v;
      else node.setAttribute(k, v);
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

  function renderQueues() {
    const box = document.getElementById("sv-queues");
    box.replaceChildren();
    const now = acdNow();
    const gids = Object.keys(model.queues).sort((a, b) => groupName(a).localeCompare(groupName(b)));
    for (const gid of gids) {
      const ids = model.queues[gid];
      const waits = ids.map((id) => now - (model.calls.get(id)?.entered_at ?? now));
      const card = el("div", { class: "sv-queue card", "data-group": gid },
        el("h3", { text: groupName(gid) }),
        el("p", { class: "sv-queue-figures" },
          el("span", { class: "sv-waiting", text: `${T("waiting")}: ${ids.length}` }), " · ",
          el("span", { class: "sv-longest", text: dur(waits.length ? Math.max(...waits) : null) })));
      const list = el("ol", { class: "sv-callers" });
      ids.forEach((id, i) => {
        const c = model.calls.get(id);
        list.append(el("li", { "data-call": id },
          el("span", { text: callerOf(c) }), " ", el("span", { class: "sv-wait", text: dur(waits[i]) })));
      });
      card.append(ids.length ? list : el("p", { class: "empty", text: T("No call waiting.") }));
      box.append(card);
    }
    if (!gids.length) box.append(el("p", { class: "empty", text: model.acd ? T("No call waiting.") : T("The call distribution is not running.") }));
  }

  function agentActions(a) {
    return el("div", { class: "sv-actions" },
      el("button", { type: "button", class: "btn btn-small", "data-act": "stats", onclick: () => showStats(a.agent_id), text: T("Statistics") }),
      el("button", { type: "button", class: "btn btn-small", "data-act": "history", onclick: () => showHistory(a.agent_id), text: T("History") }),
      el("button", { type: "button", class: "btn btn-small", "data-act": "pause", onclick: () => pauseAgent(a.agent_id), text: T("Pause") }),
      el("button", { type: "button", class: "btn btn-small btn-danger", "data-act": "logout", onclick: () => logoutAgent(a.agent_id), text: T("Log out") }));
  }

  function renderAgents() {
    const body = document.querySelector("#sv-agents tbody");
    body.replaceChildren();
    const now = acdNow();
    const list = [...model.agents.values()].sort((a, b) => agentName(a.agent_id).localeCompare(agentName(b.agent_id)));
    for (const a of list) {
      const c = a.call_id ? model.calls.get(a.call_id) : null;
      body.append(el("tr", { "data-agent": a.agent_id, "data-state": a.state },
        el("td", { text: agentName(a.agent_id) }),
        el("td", { text: a.extension || "" }),
        el("td", { text: (a.groups || []).map((g) => groupName(g[0])).join(", ") }),
        el("td", {}, el("span", { class: `sv-state sv-${a.state}`, text: T(a.state) + (a.reason ? ` (${a.reason})` : "") })),
        el("td", { class: "sv-since", text: dur(now - a.state_since) }),
        el("td", { text: c ? callerOf(c) : (a.call_id ? a.call_id : "") }),
        el("td", {}, agentActions(a))));
    }
    if (!list.length) body.append(el("tr", {}, el("td", { colspan: 7, class: "empty", text: T("No agent logged in.") })));
  }

  function renderGroups() {
    const body = document.querySelector("#sv-groups tbody");
    body.replaceChildren();
    const now = acdNow();
    const stats = {};
    for (const g of boot.groups) stats[g.id] = { available: 0, on_call: 0, paused: 0, logged: 0 };
    for (const a of model.agents.values()) {
      for (const [gid] of a.groups || []) {
        const s = stats[gid] || (stats[gid] = { available: 0, on_call: 0, paused: 0, logged: 0 });
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
        el("td", { text: groupName(gid) }), el("td", { text: String(ids.length) }),
        el("td", { text: dur(waits.length ? Math.max(...waits) : null) }),
        el("td", { text: String(s.available) }), el("td", { text: String(s.on_call) }),
        el("td", { text: String(s.paused) }), el("td", { text: String(s.logged) })));
    }
  }

  function callActions(c) {
    const btn = (act, label, fn, cls = "") => el("button", { type: "button", class: `btn btn-small ${cls}`, "data-act": act, onclick: fn, text: T(label) });
    return el("div", { class: "sv-actions" },
      btn("transfer", "Transfer", () => showTransfer(c.call_id)),
      btn("reject", "Send back to the queue", () => act("/api/v1/supervision/calls/reject", { call_id: c.call_id })),
      btn("hangup", "Hang up", () => confirm(T("Hang up this call?")) && act("/api/v1/supervision/calls/hangup", { call_id: c.call_id }), "btn-danger"),
      btn("listen", "Listen", () => spy(c.call_id, "listen")),
      btn("whisper", "Whisper", () => spy(c.call_id, "whisper")),
      btn("barge", "Barge", () => spy(c.call_id, "barge")));
  }

  function renderCalls() {
    const body = document.querySelector("#sv-calls tbody");
    body.replaceChildren();
    const now = acdNow();
    const list = [...model.calls.values()].sort((a, b) => a.started_at - b.started_at);
    for (const c of list) {
      body.append(el("tr", { "data-call": c.call_id, "data-state": c.state },
        el("td", { text: callerOf(c) }), el("td", { text: T(c.direction) }),
        el("td", { text: c.group_id != null ? groupName(c.group_id) : "" }),
        el("td", { text: c.agent_id != null ? agentName(c.agent_id) : "" }),
        el("td", { class: "sv-duration", text: dur(now - c.started_at) }),
        el("td", { text: T(c.state) }),
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
  }

  // -- actions ----------------------------------------------------------------------------

  function flash(text, kind = "success") {
    const box = document.getElementById("sv-flash");
    box.className = `alert alert-${kind}`;
    box.textContent = text;
    box.hidden = false;
    clearTimeout(flash.timer);
    flash.timer = setTimeout(() => { box.hidden = true; }, 6000);
  }

  async function act(url, body) {
    const r = await fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", [csrfHeader]: csrf },
      body: JSON.stringify(body),
    });
    const data = await r.json().catch(() => ({}));
    if (r.ok) flash(T("Done."));
    else flash(data.error ? data.error.message : `${T("Error")} ${r.status}`, "error");
    return r.ok ? data : null;
  }

  function pauseAgent(id) {
    const body = el("form", { class: "stack" });
    const select = el("select", { name: "reason" }, ...boot.pause_reasons.map((r) => el("option", { value: r, text: r })));
    body.append(el("label", {}, T("Reason"), " ", select),
      el("div", { class: "form-actions" }, el("button", { type: "submit", class: "btn btn-primary", text: T("Pause") })));
    body.addEventListener("submit", async (e) => {
      e.preventDefault();
      await act(`/api/v1/supervision/agents/${id}/pause`, { reason: select.value });
      dialog.close();
    });
    openDialog(`${T("Pause")} · ${agentName(id)}`, body);
  }

  function logoutAgent(id) {
    if (confirm(`${T("Log this agent out?")} ${agentName(id)}`)) act(`/api/v1/supervision/agents/${id}/logout`, {});
  }

  function showTransfer(callId) {
    const kind = el("select", { name: "kind" },
      el("option", { value: "agent", text: T("Agent") }), el("option", { value: "group", text: T("Group") }),
      el("option", { value: "number", text: T("Number") }));
    const agentSel = el("select", { name: "agent" }, ...boot.agents.filter((a) => a.role === "agent").map((a) => el("option", { value: a.id, text: a.name })));
    const groupSel = el("select", { name: "group" }, ...boot.groups.map((g) => el("option", { value: g.id, text: g.name })));
    const number = el("input", { type: "tel", name: "number", maxlength: 32 });
    const slot = el("span", {}, agentSel);
    kind.addEventListener("change", () => slot.replaceChildren({ agent: agentSel, group: groupSel, number }[kind.value]));
    const form = el("form", { class: "stack" }, el("label", {}, T("Transfer to"), " ", kind), slot,
      el("div", { class: "form-actions" }, el("button", { type: "submit", class: "btn btn-primary", text: T("Transfer") })));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const value = { agent: agentSel.value, group: groupSel.value, number: number.value }[kind.value];
      await act("/api/v1/supervision/calls/transfer", { call_id: callId, kind: kind.value, value: String(value) });
      dialog.close();
    });
    openDialog(`${T("Transfer")} · ${callerOf(model.calls.get(callId))}`, form);
  }

  async function spy(callId, mode) {
    const ext = prompt(T("Your phone (extension)"), localStorage.getItem("sv-extension") || "");
    if (!ext) return;
    localStorage.setItem("sv-extension", ext);
    const data = await act("/api/v1/supervision/calls/spy", { call_id: callId, mode, extension: ext });
    if (data && data.details && data.details.spy_id) {
      const stop = el("button", { type: "button", class: "btn btn-danger", text: T("Stop"),
        onclick: async () => { await act("/api/v1/supervision/spies/stop", { spy_id: data.details.spy_id }); dialog.close(); } });
      openDialog(`${T("Listening")} · ${callerOf(model.calls.get(callId))}`, el("div", {}, stop));
    }
  }

  const dialog = document.getElementById("sv-dialog");
  function openDialog(title, content) {
    document.getElementById("sv-dialog-title").textContent = title;
    document.getElementById("sv-dialog-body").replaceChildren(content);
    if (!dialog.open) dialog.showModal();
  }

  const today = () => new Date().toISOString().slice(0, 10);
  function periodForm(onChange) {
    const from = el("input", { type: "date", name: "from", value: today() });
    const to = el("input", { type: "date", name: "to", value: today() });
    const form = el("form", { class: "toolbar" }, from, " – ", to,
      el("button", { type: "submit", class: "btn btn-small", text: "OK" }));
    form.addEventListener("submit", (e) => { e.preventDefault(); onChange(from.value, to.value); });
    return { form, from, to };
  }

  async function getJSON(url) {
    const r = await fetch(url, { credentials: "same-origin" });
    const data = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(data.error ? data.error.message : `${r.status}`);
    return data;
  }

  function showStats(id) {
    const out = el("div");
    const period = periodForm((f, t) => load(`from=${f}&to=${t}`));
    async function load(qs) {
      out.replaceChildren(el("p", { text: "…" }));
      try {
        const s = await getJSON(`/api/v1/stats/agents/${id}/calls?${qs}`);
        const rows = [["Received", s.received], ["Answered", s.answered], ["Rejected", s.rejected],
          ["Transferred", s.transferred], ["Missed", s.missed], ["Calls handled", s.handled],
          ["Talk time", dur(s.talk_s)], ["Pause time", dur(s.pause_s)], ["Logged in", dur(s.logged_s)],
          ["Average handle time", dur(s.aht_s)],
          ["Occupancy", s.occupancy == null ? "–" : `${s.occupancy.toFixed(1)} %`]];
        out.replaceChildren(el("table", { class: "table table-compact sv-agent-stats" },
          el("tbody", {}, ...rows.map(([k, v]) => el("tr", { "data-key": k }, el("th", { text: T(k) }), el("td", { text: String(v) }))))));
      } catch (e) { out.replaceChildren(el("p", { class: "error", text: e.message })); }
    }
    openDialog(`${T("Statistics")} · ${agentName(id)}`, el("div", {}, period.form, out));
    load("range=today");
  }

  function showHistory(id) {
    const out = el("div");
    let offset = 0; const limit = 20;
    const kinds = el("select", { name: "kinds" }, el("option", { value: "", text: "*" }),
      ...["call", "intervention", "rejection", "missed", "transfer", "pause", "login", "logout", "audit"].map((k) => el("option", { value: k, text: k })));
    const period = periodForm(() => { offset = 0; load(); });
    period.form.prepend(kinds, " ");
    kinds.addEventListener("change", () => { offset = 0; load(); });
    async function load() {
      out.replaceChildren(el("p", { text: "…" }));
      try {
        const p = await getJSON(`/api/v1/stats/agents/${id}/actions?from=${period.from.value}&to=${period.to.value}&kinds=${kinds.value}&limit=${limit}&offset=${offset}`);
        const table = el("table", { class: "table table-compact sv-history" }, el("tbody", {},
          ...p.items.map((a) => el("tr", {}, el("td", { class: "nowrap", text: a.local_time.slice(0, 19).replace("T", " ") }),
            el("td", { text: a.kind }), el("td", { text: Object.entries(a.details).filter(([, v]) => v != null && v !== "").map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : v}`).join(" · ") })))));
        const prev = el("button", { type: "button", class: "btn btn-small", text: T("Previous"), onclick: () => { offset = Math.max(0, offset - limit); load(); } });
        const next = el("button", { type: "button", class: "btn btn-small", text: T("Next"), onclick: () => { offset += limit; load(); } });
        if (offset === 0) prev.disabled = true;
        if (offset + limit >= p.total) next.disabled = true;
        out.replaceChildren(p.items.length ? table : el("p", { class: "empty", text: T("no entry") }),
          el("div", { class: "pager" }, prev, el("span", { text: ` ${p.total ? offset + 1 : 0}–${Math.min(offset + limit, p.total)} / ${p.total} ` }), next));
      } catch (e) { out.replaceChildren(el("p", { class: "error", text: e.message })); }
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
