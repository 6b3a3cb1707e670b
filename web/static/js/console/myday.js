// S6 "My day": the agent's own figures for today, re-read shortly after a call or an offer
// ends (the call journal writes the facts a few milliseconds after the event).
import { $, api, fmt, throttle } from "../lib/core.js";

export function createMyDay() {
  async function load() {
    try {
      const s = await api("GET", "/api/v1/agent/stats");
      $("st-received").textContent = fmt.number(s.received);
      $("st-answered").textContent = fmt.number(s.answered);
      $("st-rejected").textContent = fmt.number(s.rejected);
      $("st-transferred").textContent = fmt.number(s.transferred);
      $("st-placed").textContent = fmt.number(s.placed);
      $("st-missed").textContent = fmt.number(s.missed);
      $("st-talk").textContent = fmt.duration(s.talk_s);
      $("st-aht").textContent = fmt.duration(s.aht_s);
    } catch (err) { console.warn("stats", err); }
  }
  return { load, soon: throttle(load, 400) };
}
