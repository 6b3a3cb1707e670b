// C4 transfer of the call with its record: to a colleague (only those logged into the
// ACD are listed, available ones first; busy ones greyed so the agent sees why), to a
// group, or to an outside number; blind, or attended (consult first).
import { $, api, show } from "../lib/core.js";
import { showError, t } from "./messages.js";

export function createTransfer({ record, draftNote, onStatus }) {
  let directory = { agents: [], groups: [] };

  async function load() {
    directory = await api("GET", "/api/v1/agent/directory");
    const agents = $("tr-agent");
    const picked = agents.value;
    const list = directory.agents;
    agents.replaceChildren(...list.map((a) => {
      const option = new Option(`${a.name} — ${t(`state:${a.state}`)}`, String(a.id));
      option.disabled = a.state !== "available";
      return option;
    }));
    // Left enabled even when empty: looking at it again (focus) re-reads the list.
    if (!list.length) agents.append(new Option("—", "", true, true));
    const still = [...agents.options].find((o) => o.value === picked && !o.disabled);
    const first = [...agents.options].find((o) => !o.disabled);
    if (still || first) agents.value = (still || first).value;
    show($("tr-agent-none"), !list.length);
    show($("tr-agent-busy"), list.length > 0 && !first);
    syncGo();
    $("tr-group").replaceChildren(...directory.groups.map((g) => new Option(g.name, String(g.id))));
    return directory;
  }

  // Nobody to hand the call to: the button says so by being unusable, the hint says why.
  function syncGo() {
    const none = ![...$("tr-agent").options].some((o) => !o.disabled && o.value);
    $("tr-go").disabled = $("tr-kind").value === "agent" && none;
  }

  function bind() {
    $("btn-transfer").addEventListener("click", async () => {
      await load();
      show($("transfer-form"), $("transfer-form").hidden);
    });
    // Colleagues' states are not pushed to agents: re-read them when the list is looked at.
    $("tr-agent").addEventListener("focus", () => load().catch(() => {}));
    $("tr-kind").addEventListener("change", () => {
      const kind = $("tr-kind").value;
      syncGo();
      if (kind === "agent") load().catch(() => {});
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
      try {
        showError($("call-error"), null);
        onStatus(await api("POST", "/api/v1/agent/call/transfer", {
          kind, value: value || "", mode: $("tr-mode").value,
          client_id: record.client ? record.client.id : null, note: draftNote() }));
        show($("transfer-form"), false);
      } catch (err) {
        showError($("call-error"), err);
      }
    });
  }

  return { bind, load, get directory() { return directory; } };
}
