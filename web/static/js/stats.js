// S4 statistics page: builds the query string from the form, reads the report from the JSON
// API, draws the chart (Chart.js) and the table beside it, and points the CSV link at the
// same query so the export is exactly what is shown.
"use strict";

window.addEventListener("DOMContentLoaded", () => {
  const boot = JSON.parse(document.getElementById("st-boot").textContent);
  const T = (w) => boot.texts[w] || w;
  const $ = (id) => document.getElementById(id);
  const form = $("st-form");
  const lang = document.documentElement.lang || "en";
  let chart = null;

  const picker = flatpickr($("st-dates"), {
    mode: "range",
    dateFormat: "Y-m-d",
    defaultDate: [$("st-from").value, $("st-to").value],
    locale: lang === "fr" && flatpickr.l10ns.fr ? flatpickr.l10ns.fr : "default",
    onClose: (dates) => {
      if (!dates.length) return;
      const fmt = (d) => flatpickr.formatDate(d, "Y-m-d");
      $("st-from").value = fmt(dates[0]);
      $("st-to").value = fmt(dates[dates.length - 1]);
      rangeName = "";
      document.querySelectorAll("[data-range]").forEach((x) => x.classList.remove("btn-primary"));
      load();
    },
  });

  let rangeName = "";
  document.querySelectorAll("[data-range]").forEach((b) => b.addEventListener("click", () => {
    rangeName = b.dataset.range;
    document.querySelectorAll("[data-range]").forEach((x) => x.classList.toggle("btn-primary", x === b));
    load();
  }));
  ["st-granularity", "st-group", "st-agent"].forEach((id) => $(id).addEventListener("change", load));
  // a new report starts at its own first granularity (day for most), not the last one used
  $("st-report").addEventListener("change", () => { $("st-granularity").value = ""; load(); });
  form.addEventListener("submit", (e) => { e.preventDefault(); load(); });

  function syncGranularity() {
    const opt = $("st-report").selectedOptions[0];
    const allowed = (opt.dataset.granularities || "").split(",").filter(Boolean);
    $("st-gran-label").hidden = !allowed.length;
    for (const o of $("st-granularity").options) o.hidden = !allowed.includes(o.value);
    if (allowed.length && !allowed.includes($("st-granularity").value)) $("st-granularity").value = allowed[0];
    return allowed.length > 0;
  }

  function query() {
    const q = new URLSearchParams({ report: $("st-report").value });
    if (syncGranularity()) q.set("granularity", $("st-granularity").value);
    if (rangeName) q.set("range", rangeName);
    else { q.set("from", $("st-from").value); q.set("to", $("st-to").value); }
    if ($("st-group").value) q.set("groups", $("st-group").value);
    if ($("st-agent").value) q.set("agents", $("st-agent").value);
    return q.toString();
  }

  const num = new Intl.NumberFormat(lang, { maximumFractionDigits: 1 });
  function fmt(value, kind) {
    if (value == null) return T("n/a");
    if (kind === "percent") return `${num.format(value)} %`;
    if (kind === "seconds") {
      const s = Math.round(value), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
      return `${h}:${String(m).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
    }
    return typeof value === "number" ? num.format(value) : String(value);
  }

  const palette = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#65a30d"];

  function draw(report) {
    const c = report.chart;
    // percentages and seconds on their own axis so a rate is not flattened by counts
    const datasets = c.datasets.map((d, i) => ({
      label: d.label, data: d.data, backgroundColor: palette[i % palette.length],
      borderColor: palette[i % palette.length],
      type: d.kind === "percent" && c.type === "bar" ? "line" : c.type,
      yAxisID: d.kind === "percent" ? "pct" : "y",
    }));
    // the left axis says its unit: seconds (durations) or a number of calls/offers
    const leftKind = c.datasets.find((d) => d.kind !== "percent")?.kind;
    const title = (text) => ({ display: true, text });
    const scales = { y: { beginAtZero: true, position: "left",
                          title: title(leftKind === "seconds" ? T("duration (h:mm:ss)") : T("number")) } };
    if (leftKind === "seconds") scales.y.ticks = { callback: (v) => fmt(v, "seconds") };
    if (datasets.some((d) => d.yAxisID === "pct")) scales.pct = { beginAtZero: true, max: 100, position: "right", grid: { drawOnChartArea: false }, title: title("%") };
    if (datasets.every((d) => d.yAxisID === "pct")) delete scales.y;
    if (chart) chart.destroy();
    chart = new Chart($("st-canvas"), {
      type: c.type, data: { labels: c.labels, datasets },
      options: { responsive: true, maintainAspectRatio: false, animation: false, scales },
    });
  }

  function table(report) {
    const cols = report.columns;
    const tr = (row, cell) => {
      const r = document.createElement("tr");
      for (const col of cols) {
        const td = document.createElement(cell);
        // a totals row leaves empty what does not add up (the month, an average)
        td.textContent = row === null ? col.label
          : (col.key in row ? fmt(row[col.key], col.kind) : "");
        if (col.kind !== "text") td.className = "num";
        td.dataset.key = col.key;
        r.append(td);
      }
      return r;
    };
    const t = $("st-table");
    t.tHead.replaceChildren(tr(null, "th"));
    const body = t.tBodies[0];
    body.replaceChildren(...report.rows.map((row) => tr(row, "td")));
    if (!report.rows.length) {
      const r = document.createElement("tr"), td = document.createElement("td");
      td.colSpan = cols.length; td.className = "empty"; td.textContent = T("No data in this interval.");
      r.append(td); body.append(r);
    }
    t.tFoot.replaceChildren(...(report.totals ? [tr(report.totals, "th")] : []));
  }

  function kpis(report) {
    const box = $("st-kpis");
    box.replaceChildren(...report.kpis.map((k) => {
      const card = document.createElement("div");
      card.className = "st-kpi card";
      card.dataset.kpi = k.key;
      card.innerHTML = '<div class="st-kpi-label"></div><div class="st-kpi-value"></div><p class="st-kpi-method"></p>';
      card.children[0].textContent = k.label;
      card.children[1].textContent = fmt(k.value, k.unit);
      card.children[2].textContent = k.method;  // the method stated under the KPI (B1)
      return card;
    }));
    $("st-notes").replaceChildren(...report.notes.map((n) => {
      const li = document.createElement("li"); li.textContent = n; return li;
    }));
  }

  let latest = 0;  // a slow answer to an older choice must not overwrite a newer one
  async function load() {
    const qs = query();
    const mine = ++latest;
    $("st-csv").href = `/api/v1/stats/report.csv?${qs}`;
    $("st-error").hidden = true;
    $("st-title").textContent = T("Loading…");
    delete document.body.dataset.reportLoaded;
    const r = await fetch(`/api/v1/stats/report?${qs}`, { credentials: "same-origin" });
    const data = await r.json().catch(() => ({}));
    if (mine !== latest) return;
    if (!r.ok) {
      $("st-error").textContent = data.error ? data.error.message : `${T("Error")} ${r.status}`;
      $("st-error").hidden = false;
      $("st-title").textContent = "";
      return;
    }
    $("st-title").textContent = `${data.title} · ${data.interval.from} – ${data.interval.to}`;
    picker.setDate([data.interval.from, data.interval.to], false);
    $("st-from").value = data.interval.from;
    $("st-to").value = data.interval.to;
    kpis(data); table(data); draw(data);
    // lets the browser test wait for what it asked
    document.body.dataset.reportLoaded = data.name;
    document.body.dataset.reportGranularity = data.granularity || "";
    document.body.dataset.reportInterval = `${data.interval.from}/${data.interval.to}`;
  }

  $("st-granularity").value = "";
  load();
});
