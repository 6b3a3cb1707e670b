// B2 wallboard: live counts from /ws/live; today's service level and abandon rate re-read
// from the API a moment after a call ends (event-driven, debounced), never on a timer. The
// one-second timer only redraws the waiting times from timestamps already known.
"use strict";

(() => {
  const boot = JSON.parse(document.getElementById("wb-boot").textContent);
  const T = (w) => boot.texts[w] || w;
  let board = boot.board;
  // agents: id -> {state, groups: [group ids]}; calls: id -> entered_at (ACD clock)
  const live = { offset: 0, calls: new Map(), queues: {}, agents: new Map(), acd: board.acd };
  const STATES = ["available", "ringing", "on_call", "wrapup", "paused"];

  const dur = (s) => {
    if (s == null || !isFinite(s)) return "–";
    s = Math.max(0, Math.floor(s));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    const mm = String(m).padStart(2, "0"), ss = String(sec).padStart(2, "0");
    return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
  };
  const lang = document.documentElement.lang || "en";
  const num = new Intl.NumberFormat(lang, { maximumFractionDigits: 1, minimumFractionDigits: 1 });
  const pct = (v) => (v == null ? "–" : `${num.format(v)} %`);
  const now = () => Date.now() / 1000 - live.offset;

  function snapshot(s) {
    live.acd = !!s.acd;
    live.calls.clear(); live.agents.clear(); live.queues = {};
    if (!s.acd) return;
    live.offset = Date.now() / 1000 - s.at;
    for (const c of s.calls) live.calls.set(c.call_id, c.entered_at);
    for (const [g, ids] of Object.entries(s.queues)) live.queues[g] = ids.slice();
    for (const a of s.agents) {
      if (a.state !== "logged_out") live.agents.set(a.agent_id, { state: a.state, groups: (a.groups || []).map((g) => g[0]) });
    }
  }

  let refetching = false;
  async function refetchSnapshot() {
    // an agent who just logged in: one request for their groups
    if (refetching) return;
    refetching = true;
    try {
      const r = await fetch("/api/v1/supervision/snapshot", { credentials: "same-origin" });
      if (r.ok) { snapshot(await r.json()); render(); }
    } finally { refetching = false; }
  }

  let refreshTimer = null;
  function refreshFigures() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(async () => {
      const r = await fetch("/api/v1/supervision/wallboard", { credentials: "same-origin" });
      if (r.ok) { board = await r.json(); render(); }
    }, 1000);  // the call's record is written just after the call ends
  }

  const handlers = {
    "snapshot": snapshot,
    "queue.changed": (d) => {
      live.queues[d.group_id] = d.entries.map((e) => e.call_id);
      for (const e of d.entries) live.calls.set(e.call_id, e.entered_at);
    },
    "agent.state_changed": (d) => {
      if (d.new === "logged_out") { live.agents.delete(d.agent_id); return; }
      const a = live.agents.get(d.agent_id);
      if (a) a.state = d.new;
      else refetchSnapshot();
    },
    "call.ended": (d) => { live.calls.delete(d.call_id); refreshFigures(); },
  };

  function waits(gid) {
    const t = now();
    return (live.queues[gid] || []).map((id) => t - (live.calls.get(id) ?? t));
  }

  function counts(filter) {
    const out = Object.fromEntries(STATES.map((s) => [s, 0]));
    for (const a of live.agents.values()) if (filter(a) && a.state in out) out[a.state] += 1;
    return out;
  }

  const text = (id, value) => { document.getElementById(id).textContent = value; };

  function render() {
    document.getElementById("wb-acd-down").hidden = live.acd;
    text("wb-date", `${board.date} · ${board.timezone}`);
    const all = Object.keys(live.queues).flatMap(waits);
    text("wb-waiting", String(all.length));
    text("wb-longest", all.length ? dur(Math.max(...all)) : "–");
    text("wb-sl", pct(board.service_level));
    text("wb-ab", pct(board.abandon_rate));
    text("wb-answered", String(board.answered_today));
    const total = counts(() => true);
    document.getElementById("wb-states").replaceChildren(...STATES.map((s) => {
      const tile = document.createElement("div");
      tile.className = `wb-tile wb-${s}`;
      tile.dataset.state = s;
      tile.innerHTML = '<div class="wb-label"></div><div class="wb-value"></div>';
      tile.firstChild.textContent = T(s);
      tile.lastChild.textContent = String(total[s]);
      return tile;
    }));
    const body = document.querySelector("#wb-groups tbody");
    body.replaceChildren(...board.groups.map((g) => {
      const w = waits(String(g.group_id));
      const mine = counts((a) => a.groups.includes(g.group_id));
      const logged = STATES.reduce((n, s) => n + mine[s], 0);
      const tr = document.createElement("tr");
      tr.dataset.group = g.group_id;
      const cells = [
        ["name", g.name], ["waiting", String(w.length)], ["longest", w.length ? dur(Math.max(...w)) : "–"],
        ["agents", `${mine.available} / ${logged}`],
        ["answered", String(g.answered_today)], ["abandoned", String(g.abandoned_today)],
        ["sl", `${pct(g.service_level)}`], ["ab", pct(g.abandon_rate)],
      ];
      for (const [key, v] of cells) {
        const td = document.createElement("td");
        td.dataset.key = key;
        td.textContent = v;
        if (key === "sl") {
          const small = document.createElement("small");
          small.textContent = ` (${g.service_level_s} s)`;
          td.append(small);
        }
        tr.append(td);
      }
      return tr;
    }));
    document.body.dataset.rendered = String((Number(document.body.dataset.rendered) || 0) + 1);
  }

  const conn = document.getElementById("wb-conn");
  let backoff = 500;
  function connect() {
    const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/live`);
    ws.onopen = () => { backoff = 500; conn.dataset.state = "open"; };
    ws.onmessage = (m) => {
      const msg = JSON.parse(m.data);
      const h = handlers[msg.type];
      if (h) { h(msg.data); render(); }
    };
    ws.onclose = () => {
      conn.dataset.state = "closed";
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 15000);
    };
  }

  snapshot(boot.snapshot);
  render();
  setInterval(() => {
    // waiting times tick locally; nothing is asked of the server
    const all = Object.keys(live.queues).flatMap(waits);
    text("wb-longest", all.length ? dur(Math.max(...all)) : "–");
    document.querySelectorAll("#wb-groups tr[data-group]").forEach((tr) => {
      const w = waits(tr.dataset.group);
      tr.querySelector("[data-key=longest]").textContent = w.length ? dur(Math.max(...w)) : "–";
    });
  }, 1000);
  connect();
})();
