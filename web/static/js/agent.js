// Agent console (S6–S9), client record (S8) and CSV import (B5); the client list is
// rendered on the server.
// Everything goes through the JSON API; live changes arrive on /ws/live (no polling):
// the screen pop is drawn from the "screen.pop" event itself, the rest re-reads
// /api/v1/agent/console when an event says the agent's state or call changed.
(() => {
  "use strict";
  const root = document.getElementById("console");
  if (!root) return;
  const T = JSON.parse(document.getElementById("agent-i18n").textContent);
  const t = (key, params) => {
    let text = T[key] || key;
    for (const [k, v] of Object.entries(params || {})) text = text.replace(`%(${k})s`, v);
    return text;
  };
  // The JSON API speaks English (for integrators): the page translates what it shows of it.
  // "err:<English template>" entries translate a server message, {name} parts included.
  const templates = Object.keys(T).filter((k) => k.startsWith("err:") && k.includes("{")).map((k) => {
    const source = k.slice(4);
    const names = [...source.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
    const pattern = source.split(/\{\w+\}/).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("(.+?)");
    return { re: new RegExp(`^${pattern}$`), names, target: T[k] };
  });
  function fromServer(message) {
    if (!message) return message;
    if (T["err:" + message]) return T["err:" + message];
    for (const tpl of templates) {
      const m = message.match(tpl.re);
      if (m) return tpl.names.reduce((text, name, i) => text.replace(`{${name}}`, m[i + 1]), tpl.target);
    }
    const cut = message.indexOf(": ");  // "not a valid phone number: 12x" (import rows)
    if (cut > 0 && T["err:" + message.slice(0, cut)]) return T["err:" + message.slice(0, cut)] + message.slice(cut);
    return message;
  }
  // An API failure as the user reads it: a known code first, else the message translated.
  const describe = (err) => (err && err.code && T["error:" + err.code]) || fromServer(err && (err.message || String(err)));
  const $ = (id) => document.getElementById(id);
  const show = (el, on) => { if (el) el.hidden = !on; };
  const csrf = (() => {
    try { return Object.values(JSON.parse(document.body.getAttribute("hx-headers")))[0]; }
    catch { return ""; }
  })();

  class ApiFailure extends Error {
    constructor(status, body) {
      super((body && body.error && body.error.message) || `HTTP ${status}`);
      this.status = status;
      this.code = (body && body.error && body.error.code) || "";
      this.fields = (body && body.error && body.error.fields) || {};
    }
  }

  async function api(method, path, body) {
    const init = { method, headers: { "X-CSRF-Token": csrf }, credentials: "same-origin" };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    const data = response.headers.get("Content-Type")?.includes("json") ? await response.json() : null;
    if (!response.ok) throw new ApiFailure(response.status, data);
    return data;
  }

  const pad = (n) => String(n).padStart(2, "0");
  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "–";
    const s = Math.max(0, Math.round(seconds));
    const h = Math.floor(s / 3600);
    return (h ? `${h}:` : "") + `${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
  }
  function showError(el, err) {
    if (!el) return;
    el.textContent = err ? describe(err) : "";
    el.hidden = !err;
  }
  function fieldErrors(form, fields) {
    form.querySelectorAll("[data-field]").forEach((box) => {
      const name = box.dataset.field;
      const message = Object.entries(fields || {}).find(([k]) => k === name || k.startsWith(name + "."));
      const small = box.querySelector(".error");
      box.classList.toggle("has-error", !!message);
      if (small) { small.textContent = message ? fromServer(message[1]) : ""; small.hidden = !message; }
    });
  }
  // Times are shown in the call centre's time zone (a setting), whatever the PC's.
  const fmtDate = (iso) => new Date(iso).toLocaleString(document.documentElement.lang || undefined,
    { timeZone: root.dataset.tz || undefined, dateStyle: "short", timeStyle: "short" });
  const fieldError = (err) => ({ message: fromServer(Object.values(err.fields || {})[0]) || describe(err) });

  // ---------------------------------------------------------------- client record (S8)
  const CLIENT_FIELDS = ["first_name", "last_name", "company", "email", "address",
                         "postal_code", "city", "country", "remarks"];
  const INTERVENTIONS_PAGE = 10;
  const record = {
    client: null,        // the record shown, or null for a new one
    shown: INTERVENTIONS_PAGE,  // how many of the latest interventions are listed
    prefillNumber: "",   // a new record for an unknown caller starts with their number
    onSaved: null,       // console hook: attach the new record to the current call
    callRef: () => "",
  };

  function clientName(c) { return c.display_name || t("(no name)"); }

  async function openRecord(clientId) {
    const client = await api("GET", `/api/v1/clients/${clientId}`);
    if (!record.client || record.client.id !== client.id) record.shown = INTERVENTIONS_PAGE;
    renderRecord(client);
    await loadInterventions();
    return client;
  }

  function newRecord(number) {
    record.client = null;
    record.prefillNumber = number || "";
    const form = $("record-form");
    form.reset();
    fieldErrors(form, {});
    $("r-new-phone").value = record.prefillNumber;
    show($("new-phones"), true);
    show($("record-existing"), false);
    $("record-title").textContent = t("New client");
    show($("record"), true);
    $("r-last_name").focus();
  }

  function renderRecord(client) {
    record.client = client;
    const form = $("record-form");
    fieldErrors(form, {});
    for (const name of CLIENT_FIELDS) form.elements[name].value = client[name] || "";
    show($("new-phones"), false);
    show($("record-existing"), true);
    $("record-title").textContent = clientName(client);
    const list = $("phone-list");
    list.replaceChildren();
    for (const phone of client.phones) {
      const li = document.createElement("li");
      li.dataset.number = phone.number;
      const call = document.createElement("button");
      call.type = "button";
      call.className = "btn btn-small call-btn";
      call.title = t("Call this number");
      call.setAttribute("aria-label", `${t("Call this number")} ${phone.display}`);
      call.textContent = "☎";
      call.addEventListener("click", () => clickToCall(phone.number));
      const text = document.createElement("span");
      text.textContent = phone.display + (phone.label ? ` (${phone.label})` : "");
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "btn btn-small link remove-phone";
      remove.title = t("Remove this number");
      remove.textContent = "✕";
      remove.addEventListener("click", async () => {
        if (!confirm(t("Remove this number?"))) return;
        try {
          renderRecord(await api("DELETE", `/api/v1/clients/${client.id}/phones/${phone.id}`));
          showError($("phone-error"), null);
        } catch (err) { showError($("phone-error"), err); }
      });
      li.append(call, text, remove);
      list.append(li);
    }
    show($("record"), true);
  }

  async function loadInterventions() {
    if (!record.client) return;
    const data = await api("GET", `/api/v1/clients/${record.client.id}/interventions?last=${record.shown}`);
    const list = $("interventions");
    list.replaceChildren();
    // The numbers stay those of the whole history: the first one listed may be the 23rd.
    list.start = data.total - data.items.length + 1;
    const hidden = data.total - data.items.length;
    show($("interventions-more"), hidden > 0);
    if (hidden > 0) {
      const count = $("interventions-count");
      count.textContent = t(count.dataset.text, { shown: data.items.length, total: data.total });
      const earlier = $("interventions-earlier");
      earlier.textContent = t(earlier.dataset.text, { count: Math.min(hidden, INTERVENTIONS_PAGE) });
      show(earlier, hidden > INTERVENTIONS_PAGE);
    }
    if (!data.items.length) {
      const li = document.createElement("li");
      li.className = "muted";
      li.textContent = t("No intervention yet.");
      list.append(li);
    }
    for (const item of data.items) {
      const li = document.createElement("li");
      const details = document.createElement("details");
      const summary = document.createElement("summary");
      summary.textContent = `${fmtDate(item.created_at)} · ${item.agent_name || "?"} — ${item.preview}`;
      const body = document.createElement("div");
      body.className = "intervention-body";
      const text = document.createElement("p");
      text.className = "intervention-text";
      text.textContent = item.text;
      const meta = document.createElement("p");
      meta.className = "muted";
      const parts = [`${t("Agent")}: ${item.agent_name || "?"}`, `${t("Date")}: ${fmtDate(item.created_at)}`];
      if (item.call) parts.push(`${t("Call")}: ${fmtDate(item.call.started_at)} (${t("direction:" + item.call.direction)}${item.call.talk_s != null ? ", " + duration(item.call.talk_s) : ""})`);
      if (item.disposition_label) parts.push(`${t("Outcome")}: ${item.disposition_label}`);
      meta.textContent = parts.join(" · ");
      body.append(text, meta);
      details.append(summary, body);
      li.append(details);
      list.append(li);
    }
  }

  function bindRecord() {
    $("record-close")?.addEventListener("click", () => { show($("record"), false); record.client = null; });
    $("interventions-earlier").addEventListener("click", () => {
      record.shown += INTERVENTIONS_PAGE;
      loadInterventions().catch((err) => alert(describe(err)));
    });
    $("interventions-all").addEventListener("click", () => {
      record.shown = 10000;  // the API's own ceiling
      loadInterventions().catch((err) => alert(describe(err)));
    });
    $("record-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const form = event.target;
      const data = {};
      for (const name of CLIENT_FIELDS) data[name] = form.elements[name].value;
      try {
        let client;
        if (record.client) {
          client = await api("PATCH", `/api/v1/clients/${record.client.id}`, data);
        } else {
          const number = $("r-new-phone").value.trim();
          data.phones = number ? [{ number }] : [];
          client = await api("POST", "/api/v1/clients", data);
        }
        showError($("record-error"), null);
        renderRecord(client);
        await loadInterventions();
        show($("record-saved"), true);
        setTimeout(() => show($("record-saved"), false), 2500);
        if (record.onSaved) await record.onSaved(client);
      } catch (err) {
        if (err.fields) {
          const mapped = { ...err.fields };
          for (const key of Object.keys(err.fields)) {
            if (key.startsWith("phones.")) mapped.phones = err.fields[key];
          }
          fieldErrors(form, mapped);
        }
        showError($("record-error"), err);
      }
    });
    $("phone-add").addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        renderRecord(await api("POST", `/api/v1/clients/${record.client.id}/phones`, {
          number: $("phone-add-number").value, label: $("phone-add-label").value,
        }));
        $("phone-add-number").value = "";
        $("phone-add-label").value = "";
        showError($("phone-add-error"), null);
      } catch (err) {
        showError($("phone-add-error"), fieldError(err));
      }
    });
    $("intervention-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        await api("POST", `/api/v1/clients/${record.client.id}/interventions`, {
          text: $("intervention-text").value, call_ref: record.callRef(),
        });
        $("intervention-text").value = "";
        showError($("intervention-error"), null);
        await loadInterventions();
      } catch (err) {
        showError($("intervention-error"), fieldError(err));
      }
    });
  }

  async function clickToCall(number) {
    try {
      showError($("phone-error"), null);
      await api("POST", "/api/v1/agent/dial", { number, client_id: record.client ? record.client.id : null });
    } catch (err) {
      showError($("phone-error"), err);
    }
  }

  // ---------------------------------------------------------------- search (S6)
  let attachNumber = "";  // set while looking for the client an unknown caller is
  async function runSearch(onPick) {
    const q = $("search-q").value.trim();
    const data = await api("GET", `/api/v1/clients?q=${encodeURIComponent(q)}&limit=20`);
    const list = $("search-results");
    list.replaceChildren();
    if (!data.items.length) {
      const li = document.createElement("li");
      li.className = "muted";
      li.textContent = t("No client found.");
      list.append(li);
    }
    for (const c of data.items) {
      const li = document.createElement("li");
      const pick = document.createElement("button");
      pick.type = "button";
      pick.className = "link result-pick";
      pick.textContent = clientName(c);
      const info = document.createElement("span");
      info.className = "muted";
      info.textContent = [c.phones.map((p) => p.display).join(", "), c.email, c.city].filter(Boolean).join(" · ");
      pick.addEventListener("click", () => onPick(c));
      li.append(pick, " ", info);
      if (attachNumber) {
        const attach = document.createElement("button");
        attach.type = "button";
        attach.className = "btn btn-small attach-btn";
        attach.textContent = t("This is the caller: attach the number");
        attach.addEventListener("click", () => onPick(c, true));
        li.append(" ", attach);
      }
      list.append(li);
    }
  }

  // ---------------------------------------------------------------- console (S6, S7, S9)
  function startConsole() {
    const state = {
      console: null, clockOffset: 0, directory: { agents: [], groups: [] },
      waited: {}, transferredBy: {}, consulted: {}, pop: null, lastCall: null, wrapCall: null, ws: null,
    };
    const nowServer = () => Date.now() / 1000 + state.clockOffset;
    record.callRef = () => (state.console && state.console.call ? state.console.call.call_id : (state.wrapCall || ""));
    record.onSaved = async (client) => {
      const call = state.console && state.console.call;
      if (call && !call.client_id) await attachCall(client.id);
      hidePop();
    };

    function fillReasons(reasons) {
      document.querySelectorAll(".reason-select").forEach((select) => {
        select.replaceChildren();
        for (const r of reasons) select.append(new Option(r.label, r.code));
        // No reasons set up by the admin: a pause needs none, an empty list would puzzle.
        show(select.closest("[data-field]") || select, reasons.length > 0);
      });
      syncStart();
      const wrap = $("wrapup-disposition");
      wrap.replaceChildren(new Option(t("— choose —"), ""));
      for (const d of state.console.dispositions) wrap.append(new Option(d.label, String(d.id)));
    }

    async function refresh() {
      const data = await api("GET", "/api/v1/agent/console");
      const first = state.console === null;
      state.console = data;
      if (data.now) state.clockOffset = data.now - Date.now() / 1000;
      if (first) {
        fillReasons(data.pause_reasons);
        $("acd-extension").value = data.default_extension || "";
      }
      if (data.call) state.lastCall = data.call;
      render();
      if (root.dataset.demo === "true") refreshPhone();
    }

    function render() {
      const c = state.console;
      const agent = c.agent;
      show($("acd-login"), c.acd && !agent);
      show($("status-card"), !!agent);
      show($("softphone"), !!agent);
      if (agent) {
        const badge = $("state-badge");
        badge.textContent = t("state:" + agent.state);
        badge.dataset.state = agent.state;
        const detail = [];
        // While ringing or talking the engine's reason names the call's origin: not for people.
        if (agent.reason && agent.state === "paused") detail.push(reasonLabel(agent.reason));
        detail.push(t("Extension %(ext)s", { ext: agent.extension }));
        if (agent.pending_pause) detail.push(t("pause after this call"));
        if (agent.pending_logout) detail.push(t("logout after this call"));
        $("state-detail").textContent = detail.join(" · ");
        $("btn-available").disabled = agent.state !== "paused";
        $("btn-pause").disabled = !["available", "wrapup"].includes(agent.state);
      }
      const call = c.call;
      show($("call-card"), !!call);
      if (call) {
        const ringing = agent && agent.state === "ringing";
        $("call-title").textContent = (ringing ? t("Ringing: ") : "") + (call.caller_name || call.caller_number || t("Unknown caller"));
        $("call-meta").textContent = callMeta(call).join(" · ");
        show($("call-consulting"), call.state === "consulting");
        show($("btn-reject"), ringing);
        const talking = agent && agent.state === "on_call";
        const consulting = call.state === "consulting";
        show($("btn-hangup"), talking && !consulting);
        show($("btn-transfer"), talking && !consulting);
        show($("btn-complete"), consulting);
        show($("btn-cancel-transfer"), consulting);
        if (!talking) show($("transfer-form"), false);
      }
      const wrapping = agent && agent.state === "wrapup";
      show($("wrapup-card"), !!(wrapping || state.wrapCall));
      tick();
    }

    function reasonLabel(code) {
      const found = (state.console.pause_reasons || []).find((r) => r.code === code);
      return found ? found.label : (T["reason:" + code] || code);
    }

    // S7: the group the call came through and how long the caller waited.
    function waitedOf(call) {
      if (state.waited[call.call_id] !== undefined) return state.waited[call.call_id];
      if (call.direction !== "inbound" || !call.entered_at) return undefined;
      return Math.max(0, (call.answered_at || nowServer()) - call.entered_at);
    }
    function callMeta(call) {
      const meta = [];
      const group = state.directory.groups.find((g) => g.id === call.group_id);
      if (group) meta.push(t("Group %(name)s", { name: group.name }));
      const waited = waitedOf(call);
      if (waited !== undefined) meta.push(t("waited %(time)s", { time: duration(waited) }));
      if (call.direction === "outbound") meta.push(t("outgoing call"));
      const colleague = (id) => {
        const found = state.directory.agents.find((a) => a.id === id);
        if (!found) lookUpColleague(id);
        return found ? found.name : t("an agent");
      };
      const me = state.console && state.console.user_id;
      if (state.consulted[call.call_id] && call.agent_id && call.agent_id !== me) {
        meta.push(t("%(name)s is consulting you before a transfer", { name: colleague(call.agent_id) }));
      } else if (state.transferredBy[call.call_id]) {
        meta.push(t("transferred by %(name)s", { name: colleague(state.transferredBy[call.call_id]) }));
      }
      return meta;
    }

    // The directory holds only the colleagues in the ACD when it was read: one who logged
    // in since then is looked up once more, and the call's line redrawn with their name.
    const lookedUp = new Set();
    function lookUpColleague(id) {
      if (!id || lookedUp.has(id)) return;
      lookedUp.add(id);
      loadDirectory().then(() => {
        const call = state.console && state.console.call;
        if (!call) return;
        $("call-meta").textContent = callMeta(call).join(" · ");
        if (state.pop && state.pop.call_id === call.call_id) $("pop-meta").textContent = $("call-meta").textContent;
      }).catch(() => {});
    }

    function tick() {
      const c = state.console;
      if (!c) return;
      if (c.agent) $("state-time").textContent = duration(nowServer() - c.agent.state_since);
      if (c.call) {
        const from = c.call.answered_at || c.call.started_at;
        $("call-timer").textContent = duration(nowServer() - from);
        if (!c.call.answered_at) {
          $("call-meta").textContent = callMeta(c.call).join(" · ");
          $("pop-meta").textContent = $("call-meta").textContent;
        }
      }
    }
    setInterval(tick, 1000);

    // "My day" is re-read shortly after a call or an offer ends: the call journal writes
    // the facts a few milliseconds after the event that announces them.
    // One read per burst of events, and never postponed by a steady stream of them.
    let statsTimer = null;
    function statsSoon() {
      if (statsTimer) return;
      statsTimer = setTimeout(() => { statsTimer = null; loadStats(); }, 400);
    }

    async function loadStats() {
      try {
        const s = await api("GET", "/api/v1/agent/stats");
        $("st-received").textContent = s.received;
        $("st-answered").textContent = s.answered;
        $("st-rejected").textContent = s.rejected;
        $("st-transferred").textContent = s.transferred;
        $("st-talk").textContent = duration(s.talk_s);
        $("st-aht").textContent = duration(s.aht_s);
      } catch (err) { console.warn("stats", err); }
    }

    async function loadDirectory() {
      state.directory = await api("GET", "/api/v1/agent/directory");
      const agents = $("tr-agent");
      const picked = agents.value;
      agents.replaceChildren();
      // The server lists only colleagues logged into the ACD, available ones first; a busy
      // or paused one is shown (greyed) so the agent knows why they cannot be picked.
      const list = state.directory.agents;
      for (const a of list) {
        const option = new Option(`${a.name} — ${t("state:" + a.state)}`, String(a.id));
        option.disabled = a.state !== "available";
        agents.append(option);
      }
      // Left enabled even when empty: looking at it again (focus) re-reads the list.
      if (!list.length) agents.append(new Option("—", "", true, true));
      const still = [...agents.options].find((o) => o.value === picked && !o.disabled);
      const first = [...agents.options].find((o) => !o.disabled);
      if (still || first) agents.value = (still || first).value;
      show($("tr-agent-none"), !list.length);
      show($("tr-agent-busy"), list.length > 0 && !first);
      syncTransferGo();
      const groups = $("tr-group");
      groups.replaceChildren();
      for (const g of state.directory.groups) groups.append(new Option(g.name, String(g.id)));
    }

    // -- screen pop (S7)
    function hidePop() { show($("pop-card"), false); attachNumber = ""; show($("search-hint"), false); }

    async function onPop(pop) {
      state.pop = pop;
      state.wrapCall = null;
      $("intervention-text").value = "";
      $("wrapup-note").value = "";
      $("wrapup-disposition").value = "";
      let note = null;
      if (pop.note_ref) {
        try { note = await api("GET", `/api/v1/agent/notes/${encodeURIComponent(pop.note_ref)}`); }
        catch (err) { console.warn("note", err); }
      }
      if (note && note.text) $("intervention-text").value = note.text;
      // A group transfer pops as a queue offer: the note's author is who handed it over.
      if (note && note.author_id !== state.console.user_id && !state.transferredBy[pop.call_id]) {
        state.transferredBy[pop.call_id] = note.author_id;
        if (state.console.call) $("call-meta").textContent = callMeta(state.console.call).join(" · ");
      }
      const clientId = pop.client_id || (note && note.client_id);
      if (clientId) {
        hidePop();
        await openRecord(clientId);
        return;
      }
      const found = pop.caller_number
        ? (await api("GET", `/api/v1/clients/lookup?number=${encodeURIComponent(pop.caller_number)}`)).items
        : [];
      if (found.length === 1) { hidePop(); await openRecord(found[0].id); return; }
      show($("record"), false);
      record.client = null;
      $("pop-number").textContent = pop.caller_number || t("(hidden number)");
      const choose = $("pop-choices");
      choose.replaceChildren();
      show($("pop-choose"), found.length > 1);
      $("pop-title").textContent = found.length > 1 ? t("Known number") : t("Unknown caller");
      const call = state.console && state.console.call;
      $("pop-meta").textContent = call && call.call_id === pop.call_id ? callMeta(call).join(" · ") : "";
      for (const c of found) {
        const li = document.createElement("li");
        const b = document.createElement("button");
        b.type = "button";
        b.className = "link";
        b.textContent = clientName(c);
        b.addEventListener("click", async () => { hidePop(); await openRecord(c.id); await attachCall(c.id); });
        li.append(b);
        choose.append(li);
      }
      show($("pop-card"), true);
    }

    // A supervisor acted on this agent's call or status: say so (the state and call panels
    // follow from the ACD events that come with it).
    async function onSupervisorAction(d) {
      const who = d.supervisor_name || t("A supervisor");
      const target = Number(d.to);
      if (d.action === "transfer" && d.to_kind === "agent" && !state.directory.agents.some((a) => a.id === target)) {
        await loadDirectory().catch(() => {});
      }
      const texts = {
        reject: () => t("%(name)s sent your call back to the queue.", { name: who }),
        hangup: () => t("%(name)s hung up your call.", { name: who }),
        transfer: () => t("%(name)s transferred your call to %(target)s.", { name: who, target: targetName(d.to_kind, d.to) }),
        pause: () => t("%(name)s paused you (%(reason)s).", { name: who, reason: reasonLabel(d.reason || "") }),
        logout: () => t("%(name)s logged you out of the call distribution.", { name: who }),
        whisper: () => t("%(name)s is whispering to you on this call.", { name: who }),
        barge: () => t("%(name)s joined your call.", { name: who }),
      };
      const text = texts[d.action] ? texts[d.action]() : t("%(name)s acted on your call or status.", { name: who });
      if (["reject", "hangup", "transfer"].includes(d.action)) hidePop();
      notice(text, d.action);
    }
    function targetName(kind, value) {
      const id = Number(value);
      if (kind === "agent") {
        const a = state.directory.agents.find((x) => x.id === id);
        return a ? a.name : t("an agent");
      }
      if (kind === "group") {
        const g = state.directory.groups.find((x) => x.id === id);
        return g ? t("the group %(name)s", { name: g.name }) : t("a group");
      }
      return String(value || "");
    }
    function notice(text, kind) {
      const box = document.createElement("div");
      box.className = "alert alert-warning notice";
      box.setAttribute("role", "alert");
      box.dataset.action = kind || "";
      const span = document.createElement("span");
      span.textContent = text;
      const close = document.createElement("button");
      close.type = "button";
      close.className = "btn btn-small notice-close";
      close.textContent = t("Dismiss");
      close.addEventListener("click", () => box.remove());
      box.append(span, close);
      const list = $("notices");
      list.prepend(box);
      while (list.children.length > 5) list.lastElementChild.remove();
    }

    async function attachCall(clientId) {
      try {
        await api("POST", "/api/v1/agent/call/attach", { client_id: clientId, note: $("intervention-text").value });
      } catch (err) { console.warn("attach", err); }
    }

    // -- live events
    function connect() {
      const proto = location.protocol === "https:" ? "wss" : "ws";
      const ws = new WebSocket(`${proto}://${location.host}/ws/live`);
      state.ws = ws;
      ws.addEventListener("message", async (message) => {
        const event = JSON.parse(message.data);
        const d = event.data || {};
        if (event.type === "call.offered" && d.waited_s !== undefined) state.waited[d.call_id] = d.waited_s;
        if (event.type === "supervisor.action") onSupervisorAction(d).catch((err) => console.warn("notice", err));
        if (["call.ended", "offer.ended", "call.transferred", "agent.state_changed"].includes(event.type)) statsSoon();
        if (event.type === "screen.pop") {
          if (d.transferred_from_agent_id) state.transferredBy[d.call_id] = d.transferred_from_agent_id;
          if (d.purpose === "consult") state.consulted[d.call_id] = true;
          onPop(d).catch((err) => console.warn("pop", err));
        }
        if (event.type === "call.ended" || event.type === "offer.ended") {
          if (state.lastCall && d.call_id === state.lastCall.call_id && event.type === "call.ended" && d.agent_id === state.console.user_id) {
            state.wrapCall = d.call_id;
            if (!$("wrapup-note").value) $("wrapup-note").value = $("intervention-text").value;
          }
        }
        if (event.type === "offer.ended" && d.result && d.result !== "answered") hidePop();
        if (event.type === "call.transferred" && d.from_agent_id === state.console.user_id) {
          state.wrapCall = d.call_id;
        }
        if (event.type !== "queue.changed") refresh().catch((err) => console.warn(err));
      });
      ws.addEventListener("close", () => setTimeout(connect, 2000));
    }

    // -- actions
    async function act(path, body, errorEl) {
      try {
        showError(errorEl, null);
        await api("POST", path, body);
        await refresh();
      } catch (err) {
        showError(errorEl, err);
      }
    }

    // The reason is asked only when starting paused.
    function syncStart() {
      const paused = $("acd-login-form").elements.start.value === "paused";
      const reasons = state.console ? state.console.pause_reasons.length : 0;
      show($("acd-reason").closest("[data-field]"), paused && reasons > 0);
    }
    $("acd-login-form").querySelectorAll('input[name="start"]').forEach((radio) => radio.addEventListener("change", syncStart));
    $("acd-login-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const form = event.target;
      const paused = form.elements.start.value === "paused";
      try {
        await api("POST", "/api/v1/agent/login", {
          extension: $("acd-extension").value, paused, reason: paused ? $("acd-reason").value : "",
        });
        fieldErrors(form, {});
        await refresh();
      } catch (err) {
        fieldErrors(form, err.fields);
        if (!Object.keys(err.fields || {}).length) {
          fieldErrors(form, { extension: err.message });
        }
      }
    });
    $("btn-available").addEventListener("click", () => act("/api/v1/agent/status", { state: "available" }, $("status-error")));
    $("btn-pause").addEventListener("click", () => act("/api/v1/agent/status", { state: "paused", reason: $("pause-reason").value }, $("status-error")));
    $("btn-reject").addEventListener("click", () => { hidePop(); act("/api/v1/agent/call/reject", undefined, $("call-error")); });
    $("btn-hangup").addEventListener("click", () => act("/api/v1/agent/call/hangup", undefined, $("call-error")));
    $("btn-complete").addEventListener("click", () => act("/api/v1/agent/call/transfer/complete", undefined, $("call-error")));
    $("btn-cancel-transfer").addEventListener("click", () => act("/api/v1/agent/call/transfer/cancel", undefined, $("call-error")));
    $("btn-transfer").addEventListener("click", async () => {
      await loadDirectory();
      show($("transfer-form"), $("transfer-form").hidden);
    });
    // Colleagues' states are not pushed to agents: re-read them when the list is looked at.
    $("tr-agent").addEventListener("focus", () => loadDirectory().catch(() => {}));
    // Nobody to hand the call to: the button says so by being unusable, the hint says why.
    function syncTransferGo() {
      const agents = $("tr-agent");
      const none = ![...agents.options].some((o) => !o.disabled && o.value);
      $("tr-go").disabled = $("tr-kind").value === "agent" && none;
    }
    $("tr-kind").addEventListener("change", () => {
      const kind = $("tr-kind").value;
      syncTransferGo();
      if (kind === "agent") loadDirectory().catch(() => {});
      // No attended transfer to a group: the caller would wait in a queue meanwhile.
      const attended = $("tr-mode").querySelector('option[value="attended"]');
      attended.disabled = kind === "group";
      if (kind === "group") $("tr-mode").value = "blind";
      show($("tr-agent-field"), kind === "agent");
      show($("tr-group-field"), kind === "group");
      show($("tr-number-field"), kind === "number");
    });
    $("transfer-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const kind = $("tr-kind").value;
      const value = { agent: $("tr-agent").value, group: $("tr-group").value, number: $("tr-number").value }[kind];
      await act("/api/v1/agent/call/transfer", {
        kind, value: value || "", mode: $("tr-mode").value,
        client_id: record.client ? record.client.id : null, note: $("intervention-text").value,
      }, $("call-error"));
      show($("transfer-form"), false);
    });
    $("btn-wrapup").addEventListener("click", async () => {
      const callId = state.wrapCall || (state.lastCall && state.lastCall.call_id);
      const disposition = $("wrapup-disposition").value;
      try {
        showError($("wrapup-error"), null);
        await api("POST", "/api/v1/agent/call/wrapup", {
          call_id: callId, client_id: record.client ? record.client.id : null,
          disposition_id: disposition ? Number(disposition) : null, note: $("wrapup-note").value,
        });
        state.wrapCall = null;
        $("wrapup-note").value = "";
        $("intervention-text").value = "";
        await loadInterventions();
        await refresh();
      } catch (err) {
        showError($("wrapup-error"), fieldError(err));
      }
    });
    $("btn-new-client").addEventListener("click", () => { hidePop(); newRecord(state.pop ? state.pop.caller_number : ""); });
    $("btn-search-new").addEventListener("click", () => newRecord(""));
    $("btn-pop-search").addEventListener("click", () => {
      attachNumber = state.pop ? state.pop.caller_number : "";
      show($("search-hint"), !!attachNumber);
      $("search-q").focus();
    });
    $("search-form").addEventListener("submit", (event) => {
      event.preventDefault();
      runSearch(async (client, attach) => {
        if (attach && attachNumber) {
          try {
            await api("POST", `/api/v1/clients/${client.id}/phones`, { number: attachNumber, from_call: true });
          } catch (err) { if (err.status !== 409) { alert(describe(err)); return; } }
          hidePop();
          await openRecord(client.id);
          const call = state.console.call;
          if (call && !call.client_id) await attachCall(client.id);
        } else {
          await openRecord(client.id);
        }
      }).catch((err) => alert(describe(err)));
    });

    // -- demo softphone
    let phoneRetries = 0;
    async function refreshPhone() {
      if (!state.console || !state.console.agent) return;
      try {
        const p = await api("GET", "/api/v1/demo/phone");
        $("softphone-ext").textContent = p.extension;
        $("softphone-state").textContent = t("phone:" + p.state);
        $("softphone").dataset.state = p.state;
        $("softphone-state").dataset.state = p.state;
        // A phone only offers what it can do now: pick up or decline while ringing,
        // hang up during a call, nothing when idle.
        const keys = { "sp-answer": p.state === "ringing", "sp-reject": p.state === "ringing",
                       "sp-hangup": p.state === "in_call" };
        for (const [id, on] of Object.entries(keys)) show($(id), on);
        show($("softphone-keys"), Object.values(keys).some(Boolean));
        show($("softphone-idle"), p.state === "idle");
        // The ACD's event may come a moment before the phone itself rings or connects:
        // look again shortly rather than leave the agent without the key to press.
        const agent = state.console && state.console.agent;
        const expected = agent && { ringing: "ringing", on_call: "in_call" }[agent.state];
        if (expected && p.state !== expected && phoneRetries < 8) {
          phoneRetries += 1;
          setTimeout(refreshPhone, 250);
        } else phoneRetries = 0;
      } catch (err) { console.warn("phone", err); }
    }
    for (const action of ["answer", "reject", "hangup"]) {
      $(`sp-${action}`)?.addEventListener("click", async () => {
        try { await api("POST", `/api/v1/demo/phone/${action}`); } catch (err) { alert(describe(err)); }
        refreshPhone();
      });
    }

    bindRecord();
    loadDirectory().catch(() => {});
    loadStats();
    refresh().then(async () => {
      connect();
      // A reload during a call opens the record of that call again.
      const call = state.console.call;
      if (call) {
        const note = state.console.note;
        await onPop({ call_id: call.call_id, caller_number: call.caller_number,
                      client_id: call.client_id || (note && note.client_id), note_ref: call.note_ref });
      }
    });
  }

  // ---------------------------------------------------------------- other pages
  function startImport() {
    let text = "";
    const read = () => new Promise((resolve, reject) => {
      const file = $("import-file").files[0];
      if (!file) { reject(new Error(t("Choose a file first."))); return; }
      const reader = new FileReader();
      reader.onload = () => resolve(reader.result);
      reader.onerror = () => reject(reader.error);
      reader.readAsText(file);
    });
    $("import-preview").addEventListener("click", async () => {
      try {
        text = await read();
        const p = await api("POST", "/api/v1/clients/import/preview", { csv: text, on_duplicate: $("import-dup").value });
        $("import-summary").textContent = t("%(rows)s rows, %(errors)s with errors, %(dups)s duplicates by phone.",
          { rows: p.rows.length, errors: p.error_rows, dups: p.duplicate_rows }) + " " + p.file_errors.map(fromServer).join(" ");
        const table = $("import-rows");
        table.replaceChildren();
        const head = table.insertRow();
        for (const h of [t("Line"), t("Client"), t("Phone numbers"), t("Problems")]) {
          const th = document.createElement("th"); th.textContent = h; head.append(th);
        }
        for (const r of p.rows) {
          const row = table.insertRow();
          row.className = Object.keys(r.errors).length ? "row-error" : (r.duplicate_client_ids.length || r.duplicate_of_line ? "row-dup" : "");
          const problems = Object.entries(r.errors).map(([k, v]) => `${T["field:" + k] || k}: ${fromServer(v)}`);
          if (r.duplicate_client_ids.length) problems.push(t("number already on client(s) %(ids)s", { ids: r.duplicate_client_ids.join(", ") }));
          if (r.duplicate_of_line) problems.push(t("same number as line %(line)s", { line: r.duplicate_of_line }));
          for (const v of [r.line, [r.values.first_name, r.values.last_name, r.values.company].filter(Boolean).join(" "), r.phones.join(", "), problems.join("; ")]) {
            row.insertCell().textContent = v;
          }
        }
        $("import-apply").disabled = !p.ok;
      } catch (err) { $("import-summary").textContent = describe(err); }
    });
    $("import-apply").addEventListener("click", async () => {
      try {
        const r = await api("POST", "/api/v1/clients/import", { csv: text, on_duplicate: $("import-dup").value });
        $("import-summary").textContent = t("Imported: %(created)s created, %(merged)s merged, %(skipped)s skipped.", r);
        $("import-apply").disabled = true;
      } catch (err) { $("import-summary").textContent = describe(err); }
    });
  }

  // S9: on every page of the agent's work the top bar's logout leaves the ACD first.
  document.querySelectorAll('form[action="/logout"]').forEach((f) => { f.action = "/agent/logout"; });

  const mode = root.dataset.mode;
  if (mode === "console") startConsole();
  else if (mode === "record") {
    show($("record-close"), false);  // the record is the page: nothing to close it into
    bindRecord();
    openRecord(root.dataset.client).catch((err) => alert(describe(err)));
  }
  else if (mode === "import") startImport();
})();
