// S5 "Actions" column: one agent's call statistics and action history over a period
// (today, a quick range or two dates in the call centre's time zone).
import { api, el, fmt, plural } from "../lib/core.js";

const KINDS = ["call", "intervention", "rejection", "missed", "transfer", "pause", "login", "logout", "audit"];

export function createReports({ T, openDialog, agentName, groupName, reasonOf, boot }) {
  function periodForm(onChange) {
    const from = el("input", { type: "date", name: "from", value: boot.today });
    const to = el("input", { type: "date", name: "to", value: boot.today });
    const quick = ["today", "yesterday", "this_week", "this_month"].map((range) =>
      el("button", { type: "button", class: "btn btn-small", "data-range": range, text: T(`range.${range}`),
                     onclick: () => onChange({ range }) }));
    const form = el("form", { class: "sv-period" }, ...quick,
      el("label", {}, T("From"), " ", from), el("label", {}, T("To"), " ", to),
      el("button", { type: "submit", class: "btn btn-small btn-primary", text: T("Show") }));
    const dates = () => ({ from: from.value, to: to.value });
    form.addEventListener("submit", (event) => { event.preventDefault(); onChange(dates()); });
    // the server says which dates a quick range meant (in the call centre's time zone)
    const shown = (interval) => { from.value = interval.from; to.value = interval.to; };
    return { form, shown, dates };
  }

  // Each dialog's loads are numbered: the answer to an older choice is dropped, it must
  // not overwrite the newer one (nor the dates the supervisor is typing).
  function latestOnly() {
    let n = 0;
    return () => { const mine = ++n; return () => mine === n; };
  }

  function showStats(id) {
    const out = el("div", { class: "sv-stats-out" });
    const period = periodForm((p) => load(p));
    const fresh = latestOnly();
    async function load(p) {
      const current = fresh();
      out.replaceChildren(el("p", { text: T("Loading…") }));
      try {
        const s = await api("GET", `/api/v1/stats/agents/${id}/calls?${new URLSearchParams(p)}`);
        if (!current()) return;
        period.shown(s.interval);
        // a count's label agrees with it ("1 Répondu"); the data-key stays the English one
        const counted = (key, n) => [key, fmt.number(n), plural(boot.texts[`plural:${key}`], n) || T(key)];
        const rows = [counted("Received", s.received), counted("Answered", s.answered),
          counted("Rejected", s.rejected), counted("Transferred", s.transferred),
          counted("Missed", s.missed), counted("Calls handled", s.handled),
          ["Talk time", fmt.duration(s.talk_s)], ["Pause time", fmt.duration(s.pause_s)],
          ["Logged in", fmt.duration(s.logged_s)], ["Average handle time", fmt.duration(s.aht_s)],
          ["Occupancy", fmt.percent(s.occupancy)]];
        const reasons = Object.entries(s.pause_by_reason || {}).sort();
        out.replaceChildren(
          el("p", { class: "muted sv-interval", text: `${s.interval.from} – ${s.interval.to} (${s.interval.timezone})` }),
          el("table", { class: "table table-compact sv-agent-stats" },
            el("tbody", {},
              ...rows.map(([key, value, label]) => el("tr", { "data-key": key }, el("th", { text: label || T(key) }), el("td", { class: "num", text: value }))),
              ...reasons.map(([reason, secs]) => el("tr", { "data-reason": reason },
                el("th", { text: `${T("Pause")} · ${reasonOf(reason)}` }), el("td", { class: "num", text: fmt.duration(secs) }))))));
      } catch (err) { if (current()) out.replaceChildren(el("p", { class: "alert alert-error", text: err.message })); }
    }
    openDialog(`${T("Statistics")} · ${agentName(id)}`, el("div", {}, period.form, out));
    load({ range: "today" });
  }

  function describe(a) {
    const d = a.details;
    const caller = d.caller_display || d.caller_number || "";
    const group = d.group_id != null ? groupName(d.group_id) : "";
    switch (a.kind) {
      case "call":
        return [caller, group, d.direction ? T(d.direction) : "",
                d.talk_s != null ? `${T("Talk time")} ${fmt.duration(d.talk_s)}` : "",
                d.outcome ? T(`outcome.${d.outcome}`) : ""];
      case "intervention":
        return [d.client || "", d.excerpt || ""];
      case "rejection": case "missed":
        return [caller, group, d.forced ? T("forced by a supervisor") : ""];
      case "transfer":
        return [caller, group, `→ ${d.to_agent_id != null ? agentName(d.to_agent_id) : d.to_group_id != null ? groupName(d.to_group_id) : T("Number")}`];
      case "pause":
        return [reasonOf(d.reason), d.duration_s != null ? fmt.duration(d.duration_s) : T("in progress")];
      case "login":
        return [d.extension ? `${T("Extension")} ${d.extension}` : "", d.state ? T(d.state) : ""];
      case "logout":
        return [d.extension ? `${T("Extension")} ${d.extension}` : ""];
      case "audit":
        return [T(`audit.${d.action}`) !== `audit.${d.action}` ? T(`audit.${d.action}`) : d.action,
                d.actor_login ? `${T("by")} ${d.actor_login}` : "",
                d.details && d.details.reason ? reasonOf(d.details.reason) : ""];
      default:
        return [];
    }
  }

  function showHistory(id) {
    const out = el("div", { class: "sv-history-out" });
    // params: a quick range until the server has said its dates, then the dates shown
    let offset = 0;
    let params = { range: "today" };
    const limit = 20;
    const kinds = el("select", { name: "kinds", "aria-label": T("Kind") }, el("option", { value: "", text: T("All actions") }),
      ...KINDS.map((k) => el("option", { value: k, text: T(`kind.${k}`) })));
    const period = periodForm((p) => { params = p; offset = 0; load(); });
    period.form.prepend(el("label", {}, T("Kind"), " ", kinds));
    kinds.addEventListener("change", () => { params = period.dates(); offset = 0; load(); });
    const fresh = latestOnly();
    async function load() {
      const current = fresh();
      out.replaceChildren(el("p", { text: T("Loading…") }));
      try {
        const q = new URLSearchParams({ ...params, limit, offset });
        if (kinds.value) q.set("kinds", kinds.value);
        const p = await api("GET", `/api/v1/stats/agents/${id}/actions?${q}`);
        if (!current()) return;
        period.shown(p.interval);
        params = period.dates();
        const table = el("table", { class: "table table-compact sv-history" },
          el("thead", {}, el("tr", {}, el("th", { text: T("Time") }), el("th", { text: T("Action") }), el("th", { text: T("Details") }))),
          el("tbody", {}, ...p.items.map((a) => el("tr", { "data-kind": a.kind },
            el("td", { class: "nowrap", text: a.local_time.slice(0, 19).replace("T", " ") }),
            el("td", { text: T(`kind.${a.kind}`) }),
            el("td", { text: describe(a).filter(Boolean).join(" · ") })))));
        const prev = el("button", { type: "button", class: "btn btn-small", "data-page": "prev", text: T("Previous"),
                                    onclick: () => { offset = Math.max(0, offset - limit); load(); } });
        const next = el("button", { type: "button", class: "btn btn-small", "data-page": "next", text: T("Next"),
                                    onclick: () => { offset += limit; load(); } });
        prev.disabled = offset === 0;
        next.disabled = offset + limit >= p.total;
        out.replaceChildren(p.items.length ? table : el("p", { class: "empty", text: T("no entry") }),
          el("div", { class: "pager" }, prev,
            el("span", { class: "sv-page", text: ` ${p.total ? offset + 1 : 0}–${Math.min(offset + limit, p.total)} / ${p.total} ` }), next));
      } catch (err) { if (current()) out.replaceChildren(el("p", { class: "alert alert-error", text: err.message })); }
    }
    openDialog(`${T("History")} · ${agentName(id)}`, el("div", {}, period.form, out));
    load();
  }

  return { showStats, showHistory };
}
