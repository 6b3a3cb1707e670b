// S9: on every page of the agent's work the top bar's logout leaves the ACD first (the
// server refuses it during a call, with a message).
export function leaveAcdOnLogout() {
  document.querySelectorAll('form[action="/logout"]').forEach((form) => { form.action = "/agent/logout"; });
}
