// S6/S9: joining the call distribution (extension, start available or paused with a
// reason), the agent's state with its time, "Available" and "Pause", and the clean logout.
import { $, api, fmt, show } from "../lib/core.js";
import { describe, fieldErrors, showError, t } from "./messages.js";

function phoneNotice(agent) {
  if (agent.phone === "unreachable") {
    return t("Your phone is unreachable: no call is offered to you until it is registered again.");
  }
  if (agent.phone === "in_use" && ["available", "paused", "wrapup"].includes(agent.state)) {
    return t("Your phone is busy with another call: calls are offered again once it is free.");
  }
  return "";
}

export function createStatus({ boot, nowServer, onStatus, reasonLabel }) {
  function fillReasons() {
    document.querySelectorAll(".reason-select").forEach((select) => {
      select.replaceChildren(...boot.pause_reasons.map((r) => new Option(r.label, r.code)));
      // No reasons set up by the admin: a pause needs none, an empty list would puzzle.
      show(select.closest("[data-field]") || select, boot.pause_reasons.length > 0);
    });
    syncStart();
  }

  // The reason is asked only when starting paused.
  function syncStart() {
    const paused = $("acd-login-form").elements.start.value === "paused";
    show($("acd-reason").closest("[data-field]"), paused && boot.pause_reasons.length > 0);
  }

  function render(status) {
    const agent = status.agent;
    show($("acd-login"), status.acd && !agent);
    show($("status-card"), !!agent);
    if (!agent) return;
    const badge = $("state-badge");
    badge.textContent = t(`state:${agent.state}`);
    badge.dataset.state = agent.state;
    const detail = [];
    // While ringing or talking the engine's reason names the call's origin: not for people.
    if (agent.reason && agent.state === "paused") detail.push(reasonLabel(agent.reason));
    detail.push(t("Extension %(ext)s", { ext: agent.extension }));
    if (agent.pending_pause) detail.push(t("pause after this call"));
    if (agent.pending_logout) detail.push(t("logout after this call"));
    $("state-detail").textContent = detail.join(" · ");
    // Asterisk's word on the phone (issue 12): no call is offered while it is away or busy.
    const phone = phoneNotice(agent);
    $("phone-notice").textContent = phone;
    show($("phone-notice"), !!phone);
    $("btn-available").disabled = agent.state !== "paused";
    $("btn-pause").disabled = !["available", "wrapup"].includes(agent.state);
    tick(status);
  }

  function tick(status) {
    if (status && status.agent) $("state-time").textContent = fmt.duration(nowServer() - status.agent.state_since);
  }

  async function act(body) {
    try {
      showError($("status-error"), null);
      onStatus(await api("POST", "/api/v1/agent/status", body));
    } catch (err) {
      showError($("status-error"), err);
    }
  }

  function bind() {
    fillReasons();
    $("acd-extension").value = boot.default_extension || "";
    $("acd-login-form").querySelectorAll('input[name="start"]').forEach((radio) => radio.addEventListener("change", syncStart));
    $("acd-login-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const form = event.target;
      const paused = form.elements.start.value === "paused";
      try {
        const status = await api("POST", "/api/v1/agent/login", {
          extension: $("acd-extension").value, paused, reason: paused ? $("acd-reason").value : "" });
        fieldErrors(form, {});
        onStatus(status);
      } catch (err) {
        const fields = Object.keys(err.fields || {}).length ? err.fields : { extension: describe(err) };
        fieldErrors(form, fields);
      }
    });
    $("btn-available").addEventListener("click", () => act({ state: "available" }));
    $("btn-pause").addEventListener("click", () => act({ state: "paused", reason: $("pause-reason").value }));
  }

  return { bind, render, tick };
}
