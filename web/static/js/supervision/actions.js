// The supervisor's forced actions (C4, C5, B3, S5): pause or log out an agent, send a call
// back to its queue, hang it up, transfer it, listen / whisper / barge from one's own phone.
// The outcome — the server's sentence in the supervisor's language — shows in the flash
// box and in the dialog that asked for it.
import { $, api, el } from "../lib/core.js";

export function createActions({ T, model, boot, agentName, callerOf, openDialog, closeDialog, onDialogRender }) {
  function flash(text, kind = "success") {
    const box = $("sv-flash");
    box.className = `alert alert-${kind}`;
    box.textContent = text;
    box.hidden = false;
    clearTimeout(flash.timer);
    flash.timer = setTimeout(() => { box.hidden = true; }, 8000);
  }

  async function act(url, body, where = null) {
    let ok = true;
    let text;
    let data = null;
    try {
      data = await api("POST", url, body);
      text = (data && data.message) || T("Done.");
    } catch (err) {
      ok = false;
      const fields = Object.values(err.fields || {}).join(" · ");
      text = fields && !err.message.includes(fields) ? `${err.message} (${fields})` : err.message;
    }
    flash(text, ok ? "success" : "error");
    if (where) {
      where.textContent = text;
      where.className = `alert alert-${ok ? "success" : "error"} sv-result`;
      where.hidden = false;
    }
    return ok ? data : null;
  }

  const resultBox = () => el("div", { class: "sv-result", role: "status", hidden: true });

  function pauseAgent(id) {
    const select = el("select", { name: "reason" }, ...boot.pause_reasons.map((r) => el("option", { value: r.code, text: r.label })));
    const result = resultBox();
    const form = el("form", { class: "stack" }, el("label", {}, T("Reason"), " ", select), result,
      el("div", { class: "form-actions" }, el("button", { type: "submit", class: "btn btn-primary", text: T("Pause") })));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (await act(`/api/v1/supervision/agents/${id}/pause`, { reason: select.value }, result)) closeDialog();
    });
    openDialog(`${T("Pause")} · ${agentName(id)}`, form);
  }

  function logoutAgent(id) {
    if (confirm(`${T("Log this agent out?")} ${agentName(id)}`)) act(`/api/v1/supervision/agents/${id}/logout`, {});
  }

  function rejectCall(callId) {
    act("/api/v1/supervision/calls/reject", { call_id: callId });
  }

  function hangupCall(callId) {
    if (confirm(T("Hang up this call?"))) act("/api/v1/supervision/calls/hangup", { call_id: callId });
  }

  /** Who can take the call: the agents logged into the ACD, available ones first. Only an
   * available agent can take it (the ACD's rule): the others are listed greyed, with
   * their state, so the supervisor sees why. */
  function transferTargets(callId) {
    const call = model.calls.get(callId);
    return [...model.agents.values()].map((a) => ({
      id: a.agent_id, name: agentName(a.agent_id), state: a.state,
      here: call && call.agent_id === a.agent_id,
    })).sort((a, b) => (a.state === "available" && !a.here ? 0 : 1) - (b.state === "available" && !b.here ? 0 : 1)
      || a.name.localeCompare(b.name));
  }

  function showTransfer(callId) {
    const kind = el("select", { name: "kind" },
      el("option", { value: "agent", text: T("Agent") }), el("option", { value: "group", text: T("Group") }),
      el("option", { value: "number", text: T("Number") }));
    const agentSel = el("select", { name: "agent" });
    const noAgent = el("small", { class: "help", text: T("No agent is available right now: transfer to a group instead."), hidden: true });
    const groupSel = el("select", { name: "group" }, ...boot.groups.map((g) => el("option", { value: g.id, text: g.name })));
    const number = el("input", { type: "tel", name: "number", maxlength: 32, placeholder: "06 12 34 56 78" });
    const submit = el("button", { type: "submit", class: "btn btn-primary", text: T("Transfer") });
    const slot = el("span", { class: "sv-target" }, agentSel, noAgent);
    function fillAgents() {
      const picked = agentSel.value;
      const targets = transferTargets(callId);
      agentSel.replaceChildren(...targets.map((a) => el("option", {
        value: a.id, disabled: a.state !== "available" || a.here,
        text: `${a.name} — ${a.here ? T("on this call") : T(a.state)}`,
      })));
      const usable = [...agentSel.options].filter((o) => !o.disabled);
      const keep = usable.find((o) => o.value === picked) || usable[0];
      if (keep) agentSel.value = keep.value;
      noAgent.hidden = usable.length > 0;
      submit.disabled = kind.value === "agent" && !usable.length;
    }
    kind.addEventListener("change", () => {
      slot.replaceChildren(...{ agent: [agentSel, noAgent], group: [groupSel], number: [number] }[kind.value]);
      fillAgents();
    });
    fillAgents();
    const result = resultBox();
    const form = el("form", { class: "stack" }, el("label", {}, T("Transfer to"), " ", kind), slot, result,
      el("div", { class: "form-actions" }, submit));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const value = { agent: agentSel.value, group: groupSel.value, number: number.value.trim() }[kind.value];
      if (await act("/api/v1/supervision/calls/transfer", { call_id: callId, kind: kind.value, value: String(value) }, result)) closeDialog();
    });
    openDialog(`${T("Transfer")} · ${callerOf(model.calls.get(callId))}`, form);
    // The agents' states change while the dialog is open: the list follows.
    onDialogRender(fillAgents);
  }

  const MODES = ["listen", "whisper", "barge"];
  const MODE_LABEL = { listen: "Listen", whisper: "Whisper", barge: "Barge" };

  /** B3: one dialog for the three ways in; the supervisor's phone comes from their profile. */
  function showSpy(callId) {
    const help = el("p", { class: "muted sv-spy-help" });
    const modes = el("fieldset", { class: "sv-modes" }, el("legend", { text: T("How") }),
      ...MODES.map((mode) => el("label", { class: "choice" },
        el("input", { type: "radio", name: "mode", value: mode, checked: mode === "listen" }), " ", T(MODE_LABEL[mode]))));
    const ext = el("input", { type: "text", name: "extension", required: true, maxlength: 64, inputmode: "tel",
                              value: boot.me.extension || "", autocomplete: "off" });
    const result = resultBox();
    const submit = el("button", { type: "submit", class: "btn btn-primary", text: T("Ring my phone") });
    const mode = () => modes.querySelector("input:checked").value;
    const syncHelp = () => { help.textContent = T(`help.${mode()}`); };
    modes.addEventListener("change", syncHelp);
    syncHelp();
    const form = el("form", { class: "stack sv-spy" }, modes, help,
      el("label", {}, T("Your phone (extension)"), " ", ext), result, el("div", { class: "form-actions" }, submit));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const extension = ext.value.trim();
      const data = await act("/api/v1/supervision/calls/spy", { call_id: callId, mode: mode(), extension }, result);
      if (data && data.details && data.details.spy_id) {
        boot.me.extension = extension;  // the server keeps it in the profile too
        submit.replaceWith(el("button", {
          type: "button", class: "btn btn-danger", "data-act": "stop-spy", text: T("Stop"),
          onclick: async () => { if (await act("/api/v1/supervision/spies/stop", { spy_id: data.details.spy_id }, result)) closeDialog(); },
        }));
      }
    });
    openDialog(`${T("Listen in")} · ${callerOf(model.calls.get(callId))}`, form);
    (ext.value ? submit : ext).focus();
  }

  return { flash, pauseAgent, logoutAgent, rejectCall, hangupCall, showTransfer, showSpy };
}
