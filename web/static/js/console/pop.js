// S7 screen pop. The ACD's pop event arrives whole (web.live adds the candidates for the
// number and, once one client is known, their record and latest interventions), so showing
// it costs no request: a known caller's record opens, several clients with the number are
// offered to choose from, an unknown caller gets "New client" (number prefilled) and
// "Search" (the client may call from another number, which can then be attached).
import { $, el, show } from "../lib/core.js";
import { t } from "./messages.js";

export function createPop({ record, search, attachCall }) {
  let current = null;

  function hide() {
    show($("pop-card"), false);
    search.stopLooking();
  }

  /** pop: the server's PopOut; meta: the call's line (group, wait…) to repeat here. */
  function display(pop, meta = "") {
    const fresh = !current || current.call_id !== pop.call_id;
    current = pop;
    if (fresh) $("intervention-text").value = pop.note && pop.note.text ? pop.note.text : "";
    if (pop.record) {
      hide();
      record.showWhole(pop.record, pop.interventions);
      return;
    }
    record.close();
    const several = pop.matches.length > 1;
    $("pop-title").textContent = several ? t("Known number") : t("Unknown caller");
    $("pop-number").textContent = pop.number_display || t("(hidden number)");
    $("pop-meta").textContent = meta;
    show($("pop-choose"), several);
    $("pop-choices").replaceChildren(...pop.matches.map((client) => el("li", {},
      el("button", { type: "button", class: "link", text: client.display_name || t("(no name)"),
                     onclick: async () => { hide(); await record.open(client.id); await attachCall(client.id); } }))));
    show($("pop-unknown-actions"), true);
    show($("pop-card"), true);
  }

  function bind() {
    $("btn-new-client").addEventListener("click", () => {
      const number = current ? current.caller_number || "" : "";
      hide();
      record.newRecord(number);
    });
    $("btn-pop-search").addEventListener("click", () => search.lookFor(current ? current.caller_number : ""));
  }

  return {
    bind, display, hide,
    /** The pop of the call that just ended unanswered goes (the record stays if opened). */
    dropFor(callId) { if (current && current.call_id === callId) { hide(); current = null; } },
    get current() { return current; },
    setMeta(text) { if (!$("pop-card").hidden) $("pop-meta").textContent = text; },
  };
}
