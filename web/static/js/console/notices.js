// A supervisor acted on this agent's call or status: the console says who did what (the
// state and call panels follow from the ACD's own events).
import { $, el } from "../lib/core.js";
import { t } from "./messages.js";

const MAX_NOTICES = 5;

export function notice(text, kind = "") {
  const box = el("div", { class: "alert alert-warning notice", role: "alert", "data-action": kind },
    el("span", { text }),
    el("button", { type: "button", class: "btn btn-small notice-close", text: t("Dismiss"),
                   onclick: (event) => event.target.closest(".notice").remove() }));
  const list = $("notices");
  list.prepend(box);
  while (list.children.length > MAX_NOTICES) list.lastElementChild.remove();
}

/** targetName(kind, value) names a transfer's target; reasonLabel(code) a pause reason. */
export function supervisorNotice(d, { targetName, reasonLabel }) {
  const who = d.supervisor_name || t("A supervisor");
  const texts = {
    reject: () => t("%(name)s sent your call back to the queue.", { name: who }),
    hangup: () => t("%(name)s hung up your call.", { name: who }),
    transfer: () => t("%(name)s transferred your call to %(target)s.", { name: who, target: targetName(d.to_kind, d.to, d.to_name) }),
    pause: () => t("%(name)s paused you (%(reason)s).", { name: who, reason: reasonLabel(d.reason || "") }),
    logout: () => t("%(name)s logged you out of the call distribution.", { name: who }),
    whisper: () => t("%(name)s is whispering to you on this call.", { name: who }),
    barge: () => t("%(name)s joined your call.", { name: who }),
  };
  notice(texts[d.action] ? texts[d.action]() : t("%(name)s acted on your call or status.", { name: who }), d.action);
}
