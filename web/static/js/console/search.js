// S6/S7 "Find a client": search by name, company, any phone format, e-mail or city; while an
// unknown caller is on the line, a result can be marked as the caller (the number they
// call from is then added to that record).
import { $, api, el, show } from "../lib/core.js";
import { describe, t } from "./messages.js";
import { clientName } from "./record.js";

/** onPick(client, attach): attach is true when the agent said "this is the caller". */
export function createSearch({ onPick, onNew }) {
  let attachNumber = "";

  async function run() {
    const q = $("search-q").value.trim();
    const data = await api("GET", `/api/v1/clients?q=${encodeURIComponent(q)}&limit=20`);
    const list = $("search-results");
    if (!data.items.length) {
      list.replaceChildren(el("li", { class: "muted", text: t("No client found.") }));
      return;
    }
    list.replaceChildren(...data.items.map((client) => el("li", {},
      el("button", { type: "button", class: "link result-pick", text: clientName(client),
                     onclick: () => onPick(client, false) }),
      " ",
      el("span", { class: "muted", text: [client.phones.map((p) => p.display).join(", "), client.email, client.city]
        .filter(Boolean).join(" · ") }),
      attachNumber ? " " : null,
      attachNumber ? el("button", { type: "button", class: "btn btn-small attach-btn",
                                    text: t("This is the caller: attach the number"),
                                    onclick: () => onPick(client, true) }) : null)));
  }

  function bind() {
    $("search-form").addEventListener("submit", (event) => {
      event.preventDefault();
      run().catch((err) => alert(describe(err)));
    });
    $("btn-search-new").addEventListener("click", () => onNew(""));
  }

  return {
    bind,
    /** The agent looks for the client an unknown caller is (their number to attach). */
    lookFor(number) {
      attachNumber = number || "";
      show($("search-hint"), !!attachNumber);
      $("search-q").focus();
    },
    stopLooking() {
      attachNumber = "";
      show($("search-hint"), false);
    },
    get attachNumber() { return attachNumber; },
  };
}
