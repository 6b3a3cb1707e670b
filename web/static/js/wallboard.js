// B2 wallboard: live counts from /ws/live; today's service level and abandon rate re-read
// from the API when a call ends (event-driven, debounced), never on a timer.
"use strict";

(() => {
  const boot = JSON.parse(document.getElementById("wb-boot").textContent);
  const T = (w) => boot.texts[w] || w;
  let board = boot.board;
  const live = { offset: 0, calls: new Map(), queues: {}, agents: new Map() };

  const dur = (s) => {
    if (s == null || !isFinite(s)) return "–";
    s = Math.max(0, Math.floor(s));
    return `${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
  };
  const pct = (v) => (v == null ? "–" : `${v.toFixed(1)} %`);
  const now = () => Date.now() / 1000 - live.offset;

  function snapshot(s) {
    document.getElementById("wb-acd-down").hidden = !!s.acd;
    live.calls.clear(); live.agents.clear(); live.queues = {};
    if (!s.acd) return;
    live.offset = Date.now() / 1000 - s.at;
    for (const c of s.calls) live.calls.set(c.call_id, c.entered_at);
    for (const [g, ids] of Object.entries(s.queues)) live.queues[g] = ids.slice();
    for (const a of s.agents) live.agents.set(a.agent_id, a.state);
  }

  let refreshTimer = null;
  function refreshFigures() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(async () => {
      const r = await fetch("/api/v1/supervision/wallboard", { credentials: "same-origin" });
      if (r.ok) { board = await r.json(); render(); }
    }, 1500);  // the call record reaches the statistics just after the call ends
  }

  const handlers = {
    "snapshot": snapshot,
    "queue.changed": (d) => {
      live.queues[d.group_id] = d.entries.map((e) => e.call_id);
      for (const e of d.entries) live.calls.set(e.call_id, e.entered_at);
    },
    "agent.state_changed": (d) => {
      if (d.new === "logged_out") live.agents.delete(d.agent_id);
      else live.agents.set(d.agent_id, d.new);
    },
    "call.ended": (d) => { live.calls.delete(d.call_id); refreshFigures(); },
  };

  function waits(gid) {
    const t = now();
    return (live.queues[gid] || []).map((id) => t - (live.calls.get(id) ?? t));
  }

  function render() {
    document.getElementById("wb-date").textContent = `${board.date} · ${board.timezone}`;
    const all = Object.keys(live.queues).flatMap(waits);
    document.getElementById("wb-waiting").textContent = String(all.length);
    document.getElementById("wb-longest").textContent = all.length ? dur(Math.max(...all)) : "–";
    document.getElementById("wb-sl").textContent = pct(board.service_level);
    document.getElementById("wb-ab").textContent = pct(board.abandon_rate);
    const counts = {};
    for (const s of live.agents.values()) counts[s] = (counts[s] || 0) + 1;
    const states = document.getElementById("wb-states");
    states.replaceChildren(...["available", "ringing", "on_call", "wrapup", "paused"].map((s) => {
      const tile = document.createElement("div");
      tile.className = `wb-tile wb-${s}`;
      tile.dataset.state = s;
      tile.innerHTML = '<div class="wb-label"></div><div class="wb-value"></div>';
      tile.firstChild.textContent = T(s);
      tile.lastChild.textContent = String(counts[s] || 0);
      return tile;
    }));
    const body = document.querySelector("#wb-groups tbody");
    body.replaceChildren(...board.groups.map((g) => {
      const w = waits(String(g.group_id));
      const tr = document.createElement("tr");
      tr.dataset.group = g.group_id;
      for (const v of [g.name, String(w.length), w.length ? dur(Math.max(...w)) : "–",
        String(g.answered_today), String(g.abandoned_today),
        `${pct(g.service_level)} (${g.service_level_s} s)`, pct(g.abandon_rate)]) {
        const td = document.createElement("td");
        td.textContent = v;
        tr.append(td);
      }
      return tr;
    }));
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

  render();
  setInterval(render, 1000);  // waiting times tick locally
  connect();
})();
