// Agent console (S6–S9): the page's parts wired together and driven by /ws/live.
//
// The page starts from the console status embedded in it; from then on every event about
// the agent carries the console's whole status (and a screen pop its whole record, see
// web/live.py), so an offer costs no request. Events are dispatched by a table of
// handlers; each part (status, call card, pop, record, wrap-up, transfer, softphone,
// "My day") renders itself from the latest status.
import { $, api, dispatch, live, readJSON, throttle } from "../lib/core.js";
import { createCallCard } from "./calls.js";
import { leaveAcdOnLogout } from "./leave.js";
import { describe, showError, t, T } from "./messages.js";
import { createMyDay } from "./myday.js";
import { supervisorNotice, notice } from "./notices.js";
import { createPop } from "./pop.js";
import { createRecord } from "./record.js";
import { createSearch } from "./search.js";
import { createSoftphone } from "./softphone.js";
import { createStatus } from "./status.js";
import { createTransfer } from "./transfer.js";
import { createWrapup } from "./wrapup.js";

const root = $("console");
const boot = readJSON("console-boot");
const me = boot.user_id;
let current = boot;  // the latest console status (StatusOut)
let clockOffset = 0;
const nowServer = () => Date.now() / 1000 + clockOffset;

function reasonLabel(code) {
  const found = boot.pause_reasons.find((r) => r.code === code);
  return found ? found.label : (T[`reason:${code}`] || code);
}

// -- the parts ---------------------------------------------------------------------------

const record = createRecord({
  tz: root.dataset.tz,
  callRef: () => (current.call ? current.call.call_id : (wrapup.callId || "")),
  onSaved: async (client) => {
    if (current.call && !current.call.client_id) await attachCall(client.id);
    pop.hide();
  },
  onDial: dial,
  onChange: (client) => { if (!current.call) wrapup.recordChanged(client ? client.id : null); },
});
const search = createSearch({
  onNew: (number) => record.newRecord(number),
  onPick: async (client, attach) => {
    if (attach && search.attachNumber) {
      try {
        await api("POST", `/api/v1/clients/${client.id}/phones`, { number: search.attachNumber, from_call: true });
      } catch (err) { if (err.status !== 409) { alert(describe(err)); return; } }
      pop.hide();
      await record.open(client.id);
      if (current.call && !current.call.client_id) await attachCall(client.id);
    } else {
      await record.open(client.id);
    }
  },
});
const pop = createPop({ record, search, attachCall });
const transfer = createTransfer({ record, draftNote: () => $("intervention-text").value, onStatus: applyStatus });
const callCard = createCallCard({ me: () => me, nowServer, colleagueName, onActed: applyStatus });
const wrapup = createWrapup({
  nowServer, onStatus: applyStatus, notify: (text) => notice(text, "wrapup"),
  recordClient: () => (record.client ? record.client.id : null),
  onSaved: (clientId) => {
    if (record.client && record.client.id === clientId) record.loadInterventions().catch(() => {});
  },
});
const status = createStatus({ boot, nowServer, onStatus: applyStatus, reasonLabel });
const softphone = createSoftphone({ enabled: root.dataset.demo === "true" });
const myDay = createMyDay();

// The directory holds only the colleagues in the ACD when it was read: one who logged in
// since then is looked up once more, and the call's line redrawn with their name.
const lookedUp = new Set();
function colleagueName(id) {
  const found = transfer.directory.agents.find((a) => a.id === id);
  if (found) return found.name;
  if (id && !lookedUp.has(id)) {
    lookedUp.add(id);
    transfer.load().then(() => render()).catch(() => {});
  }
  return t("an agent");
}

async function attachCall(clientId) {
  try {
    applyStatus(await api("POST", "/api/v1/agent/call/attach", { client_id: clientId, note: $("intervention-text").value }));
  } catch (err) { console.warn("attach", err); }
}

async function dial(number, client) {
  try {
    showError($("phone-error"), null);
    applyStatus(await api("POST", "/api/v1/agent/dial", { number, client_id: client ? client.id : null }));
  } catch (err) {
    showError($("phone-error"), err);
  }
}

// -- status and events -------------------------------------------------------------------

function render() {
  status.render(current);
  callCard.render(current);
  wrapup.update(current);
  softphone.render(current);
  if (current.call && pop.current && pop.current.call_id === current.call.call_id) pop.setMeta(callCard.meta(current.call));
}

function applyStatus(next) {
  if (!next) return;
  // A request's answer may arrive after an event computed later (a supervisor's logout
  // just after "Save and finish"): the ACD's clock says which is the newer picture.
  if (next.acd && current.acd && next.now < current.now) return;
  current = next;
  if (next.now) clockOffset = next.now - Date.now() / 1000;
  render();
}

// An event without the status it should carry (the server could not add it): read it.
const reread = throttle(() => api("GET", "/api/v1/agent/console").then(applyStatus).catch(() => {}), 300);
const fromEvent = (d) => (d.status ? applyStatus(d.status) : reread());

function onPop(d) {
  if (d.transferred_from_agent_id) callCard.who.transferredBy[d.call_id] = d.transferred_from_agent_id;
  if (d.purpose === "consult") callCard.who.consulted[d.call_id] = true;
  const note = d.pop && d.pop.note;
  // A group transfer pops as a queue offer: the note's author is who handed it over.
  if (note && note.author_id !== me && !callCard.who.transferredBy[d.call_id]) {
    callCard.who.transferredBy[d.call_id] = note.author_id;
  }
  fromEvent(d);
  if (d.pop) pop.display(d.pop, current.call ? callCard.meta(current.call) : "");
}

const handlers = {
  "snapshot": (d) => {
    if (d.status) applyStatus(d.status);
    if (d.pop && (!pop.current || pop.current.call_id !== d.pop.call_id)) pop.display(d.pop);
  },
  "screen.pop": onPop,
  "call.offered": fromEvent,
  "call.answered": fromEvent,
  "external.connected": fromEvent,
  "agent.state_changed": fromEvent,
  "agent.change_deferred": fromEvent,
  "agent.phone_changed": fromEvent,
  "call.ended": (d) => {
    if (d.agent_id === me) wrapup.callEnded(d.call_id, record.client ? record.client.id : null);
    fromEvent(d);
    myDay.soon();
  },
  "call.transferred": (d) => {
    if (d.from_agent_id === me) wrapup.callEnded(d.call_id, record.client ? record.client.id : null);
    fromEvent(d);
    myDay.soon();
  },
  "offer.ended": (d) => {
    if (d.result !== "answered") pop.dropFor(d.call_id);
    fromEvent(d);
    myDay.soon();
  },
  "recording.changed": (d) => {
    const failed = document.getElementById("call-recording-failed");
    if (failed) {
      failed.textContent = d.error ? t("Recording failed: %(error)s", { error: d.error }) : "";
      failed.hidden = !d.error;
    }
    reread();
  },
  "supervisor.action": (d) => {
    if (["reject", "hangup", "transfer"].includes(d.action)) pop.hide();
    supervisorNotice(d, {
      reasonLabel,
      targetName: (kind, value, name) => (kind === "group" ? t("the group %(name)s", { name }) : name || String(value || "")),
    });
    fromEvent(d);
  },
};

// -- start --------------------------------------------------------------------------------

leaveAcdOnLogout();
for (const part of [record, search, pop, transfer, callCard, wrapup, status, softphone]) part.bind();
applyStatus(boot);
if (boot.pop) pop.display(boot.pop);
myDay.load();
setInterval(() => { status.tick(current); callCard.tick(current); wrapup.tick(); }, 1000);
live({
  topics: "own",
  onEvent: (type, data) => dispatch(handlers, type, data),
  onState: (state) => { root.dataset.live = state; },
});
