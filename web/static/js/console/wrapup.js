// The wrap-up card (B4, issue 14 item 1): the call's outcome and note, a countdown of the
// group's wrap-up time with an "extend" button, and the rules of web/wrapup.py — the card
// belongs to its call (a later call never clears it); while it holds unsaved work, or the
// group requires an outcome not chosen yet, the wrap-up is extended before it runs out, so
// the next call waits for the agent; at the 10-minute limit what the card holds is saved.
import { $, api, fmt, show } from "../lib/core.js";
import { showError, t } from "./messages.js";

// Extend this long before the end: room for the request to reach the ACD's timer.
const AUTO_EXTEND_BEFORE_S = 5;

/** recordClient(): the id of the client record shown, which the note goes on. */
export function createWrapup({ nowServer, onStatus, onSaved, notify, recordClient }) {
  const card = { open: false, callId: null, clientId: null, wrapup: null, timed: false,
                 busy: false, limitSaved: false };

  const note = () => $("wrapup-note");
  const outcome = () => $("wrapup-disposition");
  const dirty = () => note().value.trim() !== "" || outcome().value !== "";
  const missingOutcome = () => !!(card.wrapup && card.wrapup.requires_outcome && !outcome().value);

  function open(callId, clientId) {
    if (card.open && card.callId === callId) return;
    if (card.open && dirty()) return;  // an earlier call's unsaved work stays until saved
    Object.assign(card, { open: true, callId, clientId, timed: false, limitSaved: false });
    outcome().value = "";
    // What the agent typed during the call is the start of the note.
    note().value = $("intervention-text").value;
    showError($("wrapup-error"), null);
    $("wrapup-card").dataset.call = callId;
    render();
  }

  function close() {
    Object.assign(card, { open: false, callId: null, wrapup: null, timed: false });
    note().value = "";
    outcome().value = "";
    delete $("wrapup-card").dataset.call;
    render();
  }

  /** Every console status: the ACD's wrap-up (its end, its group's rules) or none. */
  function update(status) {
    const w = status.wrapup;
    const state = status.agent ? status.agent.state : "logged_out";
    if (w) {
      if (!card.open || card.callId !== w.call_id) open(w.call_id, recordClient());
      if (card.callId === w.call_id) { card.wrapup = w; card.timed = true; }
    } else {
      card.wrapup = null;
      // A clean card goes once there is nothing left to wait for: its timed wrap-up
      // ended, or (no wrap-up time) the next call arrived.
      if (card.open && !dirty() && (card.timed || ["ringing", "on_call"].includes(state))) close();
    }
    render();
  }

  function render() {
    show($("wrapup-card"), card.open);
    if (!card.open) return;
    const w = card.wrapup;
    show($("wrapup-clock"), !!w);
    show($("wrapup-required"), !!(w && w.requires_outcome));
    $("btn-wrapup").disabled = card.busy || missingOutcome();
    if (w) {
      const extend = $("btn-wrapup-extend");
      const step = w.extend_s < 60 ? `${fmt.number(w.extend_s)} s` : fmt.duration(w.extend_s);
      extend.textContent = t("Extend (+%(time)s)", { time: step });
      extend.disabled = card.busy || w.ends_at >= w.limit_at - 1;
    }
    tick();
  }

  function tick() {
    const w = card.wrapup;
    if (!card.open || !w) return;
    const left = Math.max(0, w.ends_at - nowServer());
    $("wrapup-countdown").textContent = fmt.duration(left);
    $("wrapup-clock").dataset.level = left <= AUTO_EXTEND_BEFORE_S ? "low" : "";
    if (card.busy || left > AUTO_EXTEND_BEFORE_S) return;
    if (!dirty() && !missingOutcome()) return;
    if (w.ends_at < w.limit_at - 1) extend(true);
    else if (dirty() && !card.limitSaved) saveAtLimit();
  }

  async function extend(auto) {
    card.busy = true;
    try {
      onStatus(await api("POST", "/api/v1/agent/call/wrapup/extend"));
      showError($("wrapup-error"), null);
    } catch (err) {
      // Too late (the wrap-up ended meanwhile) or at its limit: the card and its work stay.
      if (!auto || err.code !== "not_in_wrapup") showError($("wrapup-error"), err);
    } finally {
      card.busy = false;
      render();
    }
  }

  function payload(done) {
    const chosen = outcome().value;
    return { call_id: card.callId, client_id: card.clientId || null,
             disposition_id: chosen ? Number(chosen) : null, note: note().value, done };
  }

  async function save() {
    card.busy = true;
    render();
    try {
      const result = await api("POST", "/api/v1/agent/call/wrapup", payload(true));
      $("intervention-text").value = "";
      const clientId = card.clientId;
      close();
      onSaved(clientId);
      onStatus(result.status);
    } catch (err) {
      showError($("wrapup-error"), err);
    } finally {
      card.busy = false;
      render();
    }
  }

  /** The 10 minutes are up: keep what was typed, even without the required outcome. */
  async function saveAtLimit() {
    card.limitSaved = true;
    card.busy = true;
    try {
      await api("POST", "/api/v1/agent/call/wrapup", payload(!missingOutcome()));
      const clientId = card.clientId;
      close();
      onSaved(clientId);
      notify(t("The wrap-up reached its time limit: what you wrote was saved."));
    } catch (err) {
      showError($("wrapup-error"), err);
    } finally {
      card.busy = false;
      render();
    }
  }

  function bind() {
    $("btn-wrapup").addEventListener("click", save);
    $("btn-wrapup-extend").addEventListener("click", () => extend(false));
    // Typing is unsaved work: it may need more time at once (a 5 s wrap-up).
    note().addEventListener("input", tick);
    outcome().addEventListener("change", render);
  }

  return {
    bind, open, close, update, tick,
    /** The call just ended (or was handed over) by this agent: its card opens. */
    callEnded(callId, clientId) { open(callId, clientId); },
    /** The record the agent opened or created while wrapping up is the one the note goes on. */
    recordChanged(clientId) { if (card.open && !card.busy) card.clientId = clientId; },
    get open() { return card.open; },
    get callId() { return card.callId; },
  };
}
