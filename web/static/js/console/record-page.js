// The client record page (S8): the record panel of the console, as a page of its own.
import { $, api, show } from "../lib/core.js";
import { leaveAcdOnLogout } from "./leave.js";
import { describe, showError } from "./messages.js";
import { createRecord } from "./record.js";

const root = $("console");
// ☎ rings the agent's phone first (S8); the call itself is handled in the console.
async function dial(number, client) {
  try {
    showError($("phone-error"), null);
    await api("POST", "/api/v1/agent/dial", { number, client_id: client ? client.id : null });
  } catch (err) {
    showError($("phone-error"), err);
  }
}
const record = createRecord({ tz: root.dataset.tz, onDial: dial });
leaveAcdOnLogout();
record.bind();
show($("record-close"), false);  // the record is the page: nothing to close it into
record.open(root.dataset.client).catch((err) => alert(describe(err)));
