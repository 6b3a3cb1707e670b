// The console's texts (web/pages/agent_i18n.py embeds them, translated, as JSON) and the
// translation of the JSON API's English messages: the API speaks English to integrators,
// the page shows the agent's language. Keys: English msgids; "err:<English template>"
// translates a server message, {name} parts included; "error:<code>" an error code.
import { readJSON, translator } from "../lib/core.js";

export const T = readJSON("agent-i18n");
export const t = translator(T);

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const templates = Object.keys(T)
  .filter((key) => key.startsWith("err:") && key.includes("{"))
  .map((key) => {
    const source = key.slice(4);
    const names = [...source.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
    const pattern = source.split(/\{\w+\}/).map(escape).join("(.+?)");
    return { re: new RegExp(`^${pattern}$`), names, target: T[key] };
  });

/** A message of the JSON API in the page's language (unknown ones as they came). */
export function fromServer(message) {
  if (!message) return message;
  if (T[`err:${message}`]) return T[`err:${message}`];
  for (const tpl of templates) {
    const match = message.match(tpl.re);
    if (match) return tpl.names.reduce((text, name, i) => text.replace(`{${name}}`, match[i + 1]), tpl.target);
  }
  const cut = message.indexOf(": ");  // "not a valid phone number: 12x" (import rows)
  if (cut > 0 && T[`err:${message.slice(0, cut)}`]) return T[`err:${message.slice(0, cut)}`] + message.slice(cut);
  return message;
}

/** An API failure as the agent reads it: a known code first, else the message translated. */
export function describe(err) {
  if (!err) return "";
  if (err.code && T[`error:${err.code}`]) return T[`error:${err.code}`];
  const field = Object.values(err.fields || {})[0];
  if (err.message === "some fields are invalid" && field) return fromServer(field);
  return fromServer(err.message || String(err));
}

export function showError(node, err) {
  if (!node) return;
  node.textContent = err ? describe(err) : "";
  node.hidden = !err;
}

/** Puts each field's error under its [data-field] box (names match "phones.0.number"…). */
export function fieldErrors(form, fields) {
  form.querySelectorAll("[data-field]").forEach((box) => {
    const name = box.dataset.field;
    const found = Object.entries(fields || {}).find(([key]) => key === name || key.startsWith(`${name}.`));
    const small = box.querySelector(".error");
    box.classList.toggle("has-error", !!found);
    if (small) {
      small.textContent = found ? fromServer(found[1]) : "";
      small.hidden = !found;
    }
  });
}
