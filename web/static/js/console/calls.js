// The call card and its controls (S7, C4, C5): who is on the line — the client's name or
// "Unknown caller", the number in the centre's format, group, wait, direction — the running
// duration, and the buttons that make sense now: reject a ringing inbound call, hang up
// (or cancel one's own outbound call while it rings), transfer, complete or cancel a
// consultation, hold / resume, mute / unmute, send keypad tones (B11). A new call is
// brought into view.
import { $, api, fmt, show } from "../lib/core.js";
import { showError, t } from "./messages.js";

export function createCallCard({ me, nowServer, colleagueName, onActed }) {
  const who = { transferredBy: {}, consulted: {} };
  let shownCall = null;

  function title(call) {
    if (call.client_name) return call.client_name;
    if (call.matches && call.matches.length > 1) {
      return t("Known number (%(count)s clients)", { count: call.matches.length });
    }
    return t("Unknown caller");
  }

  function waited(call) {
    if (call.direction !== "inbound" || !call.entered_at) return null;
    return Math.max(0, (call.answered_at || nowServer()) - call.entered_at);
  }

  /** The call's line: group, wait (inbound), who handed it over or is consulting. */
  function meta(call) {
    const parts = [];
    if (call.group_name) parts.push(t("Group %(name)s", { name: call.group_name }));
    const wait = waited(call);
    if (wait !== null) parts.push(t("waited %(time)s", { time: fmt.duration(wait) }));
    if (who.consulted[call.call_id] && call.agent_id && call.agent_id !== me()) {
      parts.push(t("%(name)s is consulting you before a transfer", { name: colleagueName(call.agent_id) }));
    } else if (who.transferredBy[call.call_id]) {
      parts.push(t("transferred by %(name)s", { name: colleagueName(who.transferredBy[call.call_id]) }));
    }
    return parts.join(" · ");
  }

  function render(status) {
    const agent = status.agent;
    const call = status.call;
    show($("call-card"), !!call);
    if (!call) { shownCall = null; show($("transfer-form"), false); return; }
    const ringing = agent && agent.state === "ringing";
    const talking = agent && agent.state === "on_call";
    const outbound = call.direction === "outbound";
    const consulting = call.state === "consulting";
    const card = $("call-card");
    card.dataset.direction = call.direction;
    card.dataset.ringing = ringing ? "true" : "false";
    $("call-title").textContent = title(call);
    $("call-number").textContent = fmt.phone(call.caller_number, call.number_display) || t("(hidden number)");
    $("call-direction").textContent = outbound ? t("Outgoing call") : t("Incoming call");
    $("call-phase").textContent = ringing ? (outbound ? t("Your phone is ringing: pick it up to call") : t("Ringing")) : "";
    $("call-meta").textContent = meta(call);
    show($("call-consulting"), consulting);
    show($("btn-reject"), ringing && !outbound);
    show($("btn-cancel-dial"), ringing && outbound);
    show($("btn-hangup"), talking && !consulting);
    show($("btn-transfer"), talking && !consulting && !outbound);
    const held = !!call.on_hold;
    const connected = talking && call.state === "connected";
    show($("call-held"), held);
    show($("call-muted"), !!call.agent_muted);
    // Hold plays music to a caller: a click-to-call has none of its own.
    show($("btn-hold"), connected && !outbound && !held);
    show($("btn-resume"), connected && held);
    show($("btn-mute"), talking && !call.agent_muted);
    show($("btn-unmute"), talking && !!call.agent_muted);
    show($("dtmf-form"), talking && !held);
    // B9: the group records every call (indicator only) or on demand (the agent's button)
    show($("call-recording"), !!call.recording);
    const onDemand = call.recording_mode === "on_demand" && connected && !held;
    show($("btn-record"), onDemand && !call.recording);
    show($("btn-record-stop"), onDemand && !!call.recording);
    show($("btn-complete"), consulting);
    show($("btn-cancel-transfer"), consulting);
    if (!talking || outbound) show($("transfer-form"), false);
    if (shownCall !== call.call_id) {
      shownCall = call.call_id;
      // ☎ pressed at the bottom of a long record: the call must come into sight.
      card.scrollIntoView({ block: "nearest", behavior: "smooth" });
    }
    tick(status);
  }

  function tick(status) {
    const call = status && status.call;
    if (!call) return;
    const from = call.answered_at || call.started_at;
    $("call-timer").textContent = fmt.duration(nowServer() - from);
    if (!call.answered_at) $("call-meta").textContent = meta(call);
  }

  async function act(path, body) {
    try {
      showError($("call-error"), null);
      const status = await api("POST", path, body);
      onActed(status);
    } catch (err) {
      showError($("call-error"), err);
    }
  }

  function bind() {
    $("btn-reject").addEventListener("click", () => act("/api/v1/agent/call/reject"));
    // One's own click-to-call, still ringing one's phone: declining it cancels it.
    $("btn-cancel-dial").addEventListener("click", () => act("/api/v1/agent/call/reject"));
    $("btn-hangup").addEventListener("click", () => act("/api/v1/agent/call/hangup"));
    $("btn-hold").addEventListener("click", () => act("/api/v1/agent/call/hold"));
    $("btn-resume").addEventListener("click", () => act("/api/v1/agent/call/resume"));
    $("btn-record").addEventListener("click", () => act("/api/v1/agent/call/record", { on: true }));
    $("btn-record-stop").addEventListener("click", () => act("/api/v1/agent/call/record", { on: false }));
    $("btn-mute").addEventListener("click", () => act("/api/v1/agent/call/mute", { muted: true }));
    $("btn-unmute").addEventListener("click", () => act("/api/v1/agent/call/mute", { muted: false }));
    $("dtmf-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const digits = $("dtmf-digits").value.trim().toUpperCase();
      if (!digits) return;
      await act("/api/v1/agent/call/dtmf", { digits });
      $("dtmf-digits").value = "";
    });
    $("btn-complete").addEventListener("click", () => act("/api/v1/agent/call/transfer/complete"));
    $("btn-cancel-transfer").addEventListener("click", () => act("/api/v1/agent/call/transfer/cancel"));
  }

  return { bind, render, tick, meta, who, act };
}
