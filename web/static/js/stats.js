// S4 statistics page: builds the query string from the form, reads the report from the JSON
// API, draws the chart (Chart.js) and the table under it, and points the CSV link at the
// same query so the export is exactly what is shown. Durations and percentages are written
// as everywhere else (lib/core.js); a duration axis is in seconds, minutes or hours,
// whichever reads best.
import { $, api, el, fmt, lang, readJSON, translator } from "./lib/core.js";

const boot = readJSON("st-boot");
const T = translator(boot.texts);
const form = $("st-form");
let chart = null;
let rangeName = "";

/* global flatpickr, Chart */
const picker = flatpickr($("st-dates"), {
  mode: "range",
  dateFormat: "Y-m-d",
  defaultDate: [$("st-from").value, $("st-to").value],
  locale: lang === "fr" && flatpickr.l10ns.fr ? flatpickr.l10ns.fr : "default",
  onClose: (dates) => {
    if (!dates.length) return;
    const day = (d) => flatpickr.formatDate(d, "Y-m-d");
    $("st-from").value = day(dates[0]);
    $("st-to").value = day(dates[dates.length - 1]);
    chooseRange("");
    load();
  },
});

function chooseRange(name) {
  rangeName = name;
  document.querySelectorAll("[data-range]").forEach((b) => b.classList.toggle("btn-primary", b.dataset.range === name));
}

document.querySelectorAll("[data-range]").forEach((b) => b.addEventListener("click", () => { chooseRange(b.dataset.range); load(); }));
["st-granularity", "st-group", "st-agent"].forEach((id) => $(id).addEventListener("change", load));
// a new report starts at its own first granularity (day for most), not the last one used
$("st-report").addEventListener("change", () => { $("st-granularity").value = ""; load(); });
form.addEventListener("submit", (event) => { event.preventDefault(); load(); });

function syncGranularity() {
  const option = $("st-report").selectedOptions[0];
  const allowed = (option.dataset.granularities || "").split(",").filter(Boolean);
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

function format(value, kind) {
  if (value === null || value === undefined) return T("n/a");
  if (kind === "percent") return fmt.percent(value);
  if (kind === "seconds") return fmt.duration(value);
  return typeof value === "number" ? fmt.number(value, Number.isInteger(value) ? 0 : 1) : String(value);
}

/** The unit a duration axis reads best in, from the largest value it shows. */
function durationUnit(max) {
  if (max >= 2 * 3600) return { size: 3600, title: T("hours") };
  if (max >= 2 * 60) return { size: 60, title: T("minutes") };
  return { size: 1, title: T("seconds") };
}

const palette = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#65a30d"];

function draw(report) {
  const c = report.chart;
  const seconds = c.datasets.filter((d) => d.kind === "seconds");
  const unit = durationUnit(Math.max(0, ...seconds.flatMap((d) => d.data.filter((v) => v !== null))));
  // percentages on their own axis so a rate is not flattened by counts; durations drawn
  // in the unit of their axis, told in full in the tooltip
  const datasets = c.datasets.map((d, i) => ({
    label: d.label,
    data: d.kind === "seconds" ? d.data.map((v) => (v === null ? null : v / unit.size)) : d.data,
    kind: d.kind,
    backgroundColor: palette[i % palette.length],
    borderColor: palette[i % palette.length],
    type: d.kind === "percent" && c.type === "bar" ? "line" : c.type,
    yAxisID: d.kind === "percent" ? "pct" : "y",
  }));
  const leftKind = c.datasets.find((d) => d.kind !== "percent")?.kind;
  const title = (text) => ({ display: true, text });
  const scales = {
    y: { beginAtZero: true, position: "left",
         title: title(leftKind === "seconds" ? unit.title : T("number")),
         ticks: { callback: (v) => fmt.number(v, Number.isInteger(v) ? 0 : 1) } },
  };
  if (datasets.some((d) => d.yAxisID === "pct")) {
    scales.pct = { beginAtZero: true, max: 100, position: "right", grid: { drawOnChartArea: false },
                   title: title("%"), ticks: { callback: (v) => fmt.number(v) } };
  }
  if (datasets.every((d) => d.yAxisID === "pct")) delete scales.y;
  const tooltip = {
    callbacks: {
      label: (ctx) => {
        const d = ctx.dataset;
        const value = d.kind === "seconds" ? ctx.parsed.y * unit.size : ctx.parsed.y;
        return `${d.label}: ${format(value, d.kind)}`;
      },
    },
  };
  if (chart) chart.destroy();
  chart = new Chart($("st-canvas"), {
    type: c.type, data: { labels: c.labels, datasets },
    options: { responsive: true, maintainAspectRatio: false, animation: false, scales,
               plugins: { tooltip }, locale: lang },
  });
}

function table(report) {
  const cols = report.columns;
  const row = (values, cell) => el("tr", {}, ...cols.map((col) => el(cell, {
    class: col.kind !== "text" ? "num" : null, "data-key": col.key,
    // a totals row leaves empty what does not add up (the month, an average)
    text: values === null ? col.label : (col.key in values ? format(values[col.key], col.kind) : ""),
  })));
  const t = $("st-table");
  t.tHead.replaceChildren(row(null, "th"));
  t.tBodies[0].replaceChildren(...(report.rows.length ? report.rows.map((r) => row(r, "td"))
    : [el("tr", {}, el("td", { colspan: cols.length, class: "empty", text: T("No data in this interval.") }))]));
  t.tFoot.replaceChildren(...(report.totals ? [row(report.totals, "th")] : []));
}

function kpis(report) {
  $("st-kpis").replaceChildren(...report.kpis.map((k) => el("div", { class: "st-kpi card", "data-kpi": k.key },
    el("div", { class: "st-kpi-label", text: k.label }),
    el("div", { class: "st-kpi-value", text: format(k.value, k.unit) }),
    el("p", { class: "st-kpi-method", text: k.method }))));  // the method under the KPI (B1)
  $("st-notes").replaceChildren(...report.notes.map((n) => el("li", { text: n })));
}

let latest = 0;  // a slow answer to an older choice must not overwrite a newer one
async function load() {
  const qs = query();
  const mine = ++latest;
  $("st-csv").href = `/api/v1/stats/report.csv?${qs}`;
  $("st-error").hidden = true;
  $("st-title").textContent = T("Loading…");
  delete document.body.dataset.reportLoaded;
  let data;
  try {
    data = await api("GET", `/api/v1/stats/report?${qs}`);
  } catch (err) {
    if (mine !== latest) return;
    $("st-error").textContent = err.message;
    $("st-error").hidden = false;
    $("st-title").textContent = "";
    return;
  }
  if (mine !== latest) return;
  $("st-title").textContent = `${data.title} · ${data.interval.from} – ${data.interval.to}`;
  picker.setDate([data.interval.from, data.interval.to], false);
  $("st-from").value = data.interval.from;
  $("st-to").value = data.interval.to;
  kpis(data);
  table(data);
  draw(data);
  // lets the browser test wait for what it asked
  document.body.dataset.reportLoaded = data.name;
  document.body.dataset.reportGranularity = data.granularity || "";
  document.body.dataset.reportInterval = `${data.interval.from}/${data.interval.to}`;
  history.replaceState(null, "", `/stats?${qs}`);
}

$("st-granularity").value = boot.granularity || "";
if (boot.range) chooseRange(boot.range);
load();
