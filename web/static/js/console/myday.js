// S6 "My day": the agent's own figures for today, re-read shortly after a call or an offer
// ends (the call journal writes the facts a few milliseconds after the event). Each label
// agrees with its count ("1 Répondu", "2 Répondus").
import { $, api, fmt, plural, throttle } from "../lib/core.js";
import { T } from "./messages.js";

const COUNTS = {
  "st-received": ["received", "Received"], "st-answered": ["answered", "Answered"],
  "st-rejected": ["rejected", "Rejected"], "st-missed": ["missed", "Missed"],
  "st-transferred": ["transferred", "Transferred"], "st-placed": ["placed", "Calls placed"],
};

export function createMyDay() {
  async function load() {
    try {
      const s = await api("GET", "/api/v1/agent/stats");
      for (const [id, [key, label]] of Object.entries(COUNTS)) {
        const value = $(id);
        value.textContent = fmt.number(s[key]);
        value.previousElementSibling.textContent = plural(T[`plural:${label}`], s[key]) || label;
      }
      $("st-talk").textContent = fmt.duration(s.talk_s);
      $("st-aht").textContent = fmt.duration(s.aht_s);
    } catch (err) { console.warn("stats", err); }
  }
  return { load, soon: throttle(load, 400) };
}
