// S8 client record: contact details, phone numbers (☎ click-to-call), the interventions
// history (latest first shown, each expandable) and a new intervention. Used by the agent
// console and by the client record page.
import { $, api, el, fmt, show } from "../lib/core.js";
import { describe, fieldErrors, fromServer, showError, t } from "./messages.js";

const FIELDS = ["first_name", "last_name", "company", "email", "address", "postal_code",
                "city", "country", "remarks"];
const PAGE = 10;

export const clientName = (client) => client.display_name || t("(no name)");

/**
 * options: tz (the centre's time zone), callRef() → the call an intervention is about,
 * onSaved(client) after a save, onDial(number, client) for ☎, onChange(client) whenever
 * the record shown changes (null: closed or new).
 */
export function createRecord({ tz = "", callRef = () => "", onSaved = null, onDial = null,
                               onChange = () => {} } = {}) {
  const state = { client: null, shown: PAGE, prefill: "" };

  function changed() { onChange(state.client); }

  async function open(clientId) {
    const client = await api("GET", `/api/v1/clients/${clientId}`);
    if (!state.client || state.client.id !== client.id) state.shown = PAGE;
    render(client);
    await loadInterventions();
    loadRecordings().catch((err) => console.warn("recordings", err));
    return client;
  }

  /** Shows a record the server sent whole (the screen pop): no request. */
  function showWhole(client, page) {
    state.shown = PAGE;
    render(client);
    if (page) renderInterventions(page);
    else loadInterventions().catch((err) => console.warn("interventions", err));
    loadRecordings().catch((err) => console.warn("recordings", err));
  }

  function newRecord(number) {
    state.client = null;
    state.prefill = number || "";
    const form = $("record-form");
    form.reset();
    fieldErrors(form, {});
    $("r-new-phone").value = state.prefill;
    show($("new-phones"), true);
    show($("record-existing"), false);
    $("record-title").textContent = t("New client");
    show($("record"), true);
    $("r-last_name").focus();
    changed();
  }

  function close() {
    show($("record"), false);
    state.client = null;
    changed();
  }

  function render(client) {
    const before = state.client && state.client.id;
    state.client = client;
    const form = $("record-form");
    fieldErrors(form, {});
    for (const name of FIELDS) form.elements[name].value = client[name] || "";
    show($("new-phones"), false);
    show($("record-existing"), true);
    $("record-title").textContent = clientName(client);
    $("phone-list").replaceChildren(...client.phones.map((phone) => el("li", { "data-number": phone.number },
      el("button", {
        type: "button", class: "btn btn-small call-btn", title: t("Call this number"),
        "aria-label": `${t("Call this number")} ${phone.display}`, text: "☎",
        onclick: () => onDial && onDial(phone.number, client),
      }),
      el("span", { class: "phone-number", text: phone.display + (phone.label ? ` (${phone.label})` : "") }),
      el("button", {
        type: "button", class: "btn btn-small link remove-phone", title: t("Remove this number"),
        text: "✕", onclick: () => removePhone(client, phone),
      }))));
    show($("record"), true);
    if (before !== client.id) changed();
  }

  async function removePhone(client, phone) {
    if (!confirm(t("Remove this number?"))) return;
    try {
      render(await api("DELETE", `/api/v1/clients/${client.id}/phones/${phone.id}`));
      showError($("phone-error"), null);
    } catch (err) { showError($("phone-error"), err); }
  }

  async function loadInterventions() {
    if (!state.client) return;
    renderInterventions(await api("GET", `/api/v1/clients/${state.client.id}/interventions?last=${state.shown}`));
  }

  // B9: the client's calls that have recordings one may hear, each segment with a player
  // (the server answers Range requests, so the player seeks) and, for supervisors, a download.
  async function loadRecordings() {
    const box = $("recorded-calls-box");
    if (!box) return;
    if (!state.client) { show(box, false); return; }
    const clientId = state.client.id;
    const data = await api("GET", `/api/v1/clients/${clientId}/calls`);
    if (!state.client || state.client.id !== clientId) return;
    const calls = data.items.filter((c) => c.recordings && c.recordings.length);
    show(box, calls.length > 0);
    $("recorded-calls").replaceChildren(...calls.map((call) => {
      const talk = call.talk_s !== null && call.talk_s !== undefined ? ` · ${fmt.duration(call.talk_s)}` : "";
      return el("li", { class: "recorded-call" },
        el("p", { text: `${fmt.dateTime(call.started_at, tz)} · ${call.agent_name || "?"}${talk}` }),
        ...call.recordings.map((r) => {
          if (r.url) {
            const parts = [el("audio", { controls: "", preload: "none", src: r.url })];
            if (r.download_url) parts.push(el("a", { class: "btn btn-small", href: r.download_url, download: "", text: t("Download") }));
            return el("div", { class: "recording" }, ...parts);
          }
          const text = r.status === "failed" ? t("Failed: %(error)s", { error: r.error }) : t("Recording…");
          return el("div", { class: r.status === "failed" ? "recording error" : "recording muted", text });
        }));
    }));
  }

  function renderInterventions(data) {
    const list = $("interventions");
    // The numbers stay those of the whole history: the first one listed may be the 23rd.
    list.start = data.total - data.items.length + 1;
    const hidden = data.total - data.items.length;
    show($("interventions-more"), hidden > 0);
    if (hidden > 0) {
      const count = $("interventions-count");
      count.textContent = t(count.dataset.text, { shown: data.items.length, total: data.total });
      const earlier = $("interventions-earlier");
      earlier.textContent = t(earlier.dataset.text, { count: Math.min(hidden, PAGE) });
      show(earlier, hidden > PAGE);
    }
    if (!data.items.length) {
      list.replaceChildren(el("li", { class: "muted", text: t("No intervention yet.") }));
      return;
    }
    list.replaceChildren(...data.items.map((item) => {
      const when = fmt.dateTime(item.created_at, tz);
      const parts = [`${t("Agent")}: ${item.agent_name || "?"}`, `${t("Date")}: ${when}`];
      if (item.call) {
        const talk = item.call.talk_s !== null && item.call.talk_s !== undefined ? `, ${fmt.duration(item.call.talk_s)}` : "";
        parts.push(`${t("Call")}: ${fmt.dateTime(item.call.started_at, tz)} (${t(`direction:${item.call.direction}`)}${talk})`);
      }
      if (item.disposition_label) parts.push(`${t("Outcome")}: ${item.disposition_label}`);
      return el("li", {}, el("details", {},
        el("summary", { text: `${when} · ${item.agent_name || "?"} — ${item.preview}` }),
        el("div", { class: "intervention-body" },
          el("p", { class: "intervention-text", text: item.text }),
          el("p", { class: "muted", text: parts.join(" · ") }))));
    }));
  }

  function bind() {
    $("record-close")?.addEventListener("click", close);
    $("interventions-earlier").addEventListener("click", () => {
      state.shown += PAGE;
      loadInterventions().catch((err) => alert(describe(err)));
    });
    $("interventions-all").addEventListener("click", () => {
      state.shown = 10000;  // the API's own ceiling
      loadInterventions().catch((err) => alert(describe(err)));
    });
    $("record-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const form = event.target;
      const data = {};
      for (const name of FIELDS) data[name] = form.elements[name].value;
      try {
        let client;
        if (state.client) {
          client = await api("PATCH", `/api/v1/clients/${state.client.id}`, data);
        } else {
          const number = $("r-new-phone").value.trim();
          data.phones = number ? [{ number }] : [];
          client = await api("POST", "/api/v1/clients", data);
        }
        showError($("record-error"), null);
        render(client);
        await loadInterventions();
        show($("record-saved"), true);
        setTimeout(() => show($("record-saved"), false), 2500);
        if (onSaved) await onSaved(client);
      } catch (err) {
        const mapped = { ...err.fields };
        for (const key of Object.keys(err.fields || {})) if (key.startsWith("phones.")) mapped.phones = err.fields[key];
        fieldErrors(form, mapped);
        showError($("record-error"), err);
      }
    });
    $("phone-add").addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        render(await api("POST", `/api/v1/clients/${state.client.id}/phones`, {
          number: $("phone-add-number").value, label: $("phone-add-label").value }));
        $("phone-add-number").value = "";
        $("phone-add-label").value = "";
        showError($("phone-add-error"), null);
      } catch (err) {
        showError($("phone-add-error"), { message: fromServer(Object.values(err.fields || {})[0]) || describe(err) });
      }
    });
    $("intervention-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        await api("POST", `/api/v1/clients/${state.client.id}/interventions`, {
          text: $("intervention-text").value, call_ref: callRef() });
        $("intervention-text").value = "";
        showError($("intervention-error"), null);
        await loadInterventions();
      } catch (err) {
        showError($("intervention-error"), { message: fromServer(Object.values(err.fields || {})[0]) || describe(err) });
      }
    });
  }

  return {
    bind, open, showWhole, newRecord, close, render, loadInterventions,
    get client() { return state.client; },
  };
}
