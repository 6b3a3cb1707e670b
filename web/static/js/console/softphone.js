// Demo only: the softphone panel stands for the agent's desk phone (the simulated phone of
// their extension). What it shows follows the ACD's state — ringing while an offer rings,
// in a call while on one — so it costs no request; a key press drives the phone.
import { $, api, show } from "../lib/core.js";
import { describe, t } from "./messages.js";

const PHONE_OF_STATE = { ringing: "ringing", on_call: "in_call" };
// The ACD says "ringing" a moment before the simulated phone itself rings.
const RETRIES = 10;
const RETRY_MS = 200;

export function createSoftphone({ enabled }) {
  let ensured = "";

  function render(status) {
    if (!enabled) return;
    const agent = status.agent;
    show($("softphone"), !!agent);
    if (!agent) return;
    if (ensured !== agent.extension) {
      // A demo agent may type any extension: the server gives it a phone once.
      ensured = agent.extension;
      api("GET", "/api/v1/demo/phone").catch((err) => console.warn("phone", err));
    }
    const state = PHONE_OF_STATE[agent.state] || "idle";
    $("softphone-ext").textContent = agent.extension;
    $("softphone-state").textContent = t(`phone:${state}`);
    $("softphone").dataset.state = state;
    $("softphone-state").dataset.state = state;
    const keys = { "sp-answer": state === "ringing", "sp-reject": state === "ringing", "sp-hangup": state === "in_call" };
    for (const [id, on] of Object.entries(keys)) show($(id), on);
    show($("softphone-keys"), Object.values(keys).some(Boolean));
    show($("softphone-idle"), state === "idle");
  }

  async function press(action) {
    for (let attempt = 0; ; attempt += 1) {
      try {
        await api("POST", `/api/v1/demo/phone/${action}`);
        return;
      } catch (err) {
        if (err.code !== "phone_refused" || attempt >= RETRIES) { alert(describe(err)); return; }
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    }
  }

  function bind() {
    if (!enabled) return;
    for (const action of ["answer", "reject", "hangup"]) {
      $(`sp-${action}`).addEventListener("click", () => press(action));
    }
  }

  return { bind, render };
}
