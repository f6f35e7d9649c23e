// Queue Kiosk — Admin page: Reports (SPEC §13). A range of days (today, 7, 30, or chosen
// dates), its totals, three charts (arrivals by hour, waits by day, served and no-shows by
// provider) and the same numbers as tables, and the tickets as a CSV download.
//
// The charts are Chart.js (web/vendor/chartjs): it draws categories (hours, days, names)
// as they come, reacts to touch on a tablet, and formats its numbers with the page's
// locale. It is loaded the first time this panel comes into view, so the rest of /admin
// never waits for it. Every word on a chart comes from the catalog, like the page's.
import { apiFetch, authHeaders } from "/lib/api.js";
import { $, h, setText } from "/lib/ui.js";
import { direction, formatDate, formatNumber, formatTime, locale, t } from "/lib/i18n.js";
import { serverWallClock } from "/lib/clock.js";
import { act, redrawOnChange, SHOP } from "./common.js";

const CHART_LIB = "/vendor/chartjs/chart.umd.min.js";
const COLORS = { arrivals: "#3b6fd8", p50: "#3b6fd8", p90: "#e8590c", served: "#2b8a3e", noShow: "#c92a2a" };
const DASH = "–";
const R = { preset: "7", from: null, to: null, body: null, asked: 0, charts: {} };

// ------------------------------------------------------------------ days

const pad = (n) => String(n).padStart(2, "0");

/** Today in the shop (the appliance's clock once known; the device's until then). */
function today() {
  const wall = serverWallClock();
  if (wall) return wall.slice(0, 10);
  const d = new Date();
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

function addDays(day, n) {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

function presetRange(preset) {
  const end = today();
  if (preset === "today") return [end, end];
  return [addDays(end, preset === "30" ? -29 : -6), end];
}

// ------------------------------------------------------------------ words and numbers

const count = (n) => (n === null || n === undefined ? DASH : formatNumber(n));
const mins = (v) => (v === null || v === undefined ? DASH : t("admin.reports.minutes", { value: formatNumber(v, { maximumFractionDigits: 1 }) }));
const percent = (v) => formatNumber(v, { style: "percent", maximumFractionDigits: 0 });
const dayShort = (day) => formatDate(day, { day: "numeric", month: "short" });
const dayLong = (day) => formatDate(day, { weekday: "short", day: "numeric", month: "short", year: "numeric" });
const hourText = (hour) => formatTime(`2000-01-01T${pad(hour)}:00`);
const providerName = (row) => (row.id === null ? t("admin.reports.anyone") : row.name || `#${row.id}`);
const serviceName = (row) => (row.id === null ? t("admin.reports.noService") : row.name || `#${row.id}`);

const FIGURES = [
  ["tickets", "admin.reports.tickets", count],
  ["served", "admin.reports.served", count],
  ["no_show", "admin.reports.noShow", count],
  ["left", "admin.reports.left", count],
  ["cancelled", "admin.reports.cancelled", count],
  ["wait_p50_min", "admin.reports.waitP50", mins],
  ["wait_p90_min", "admin.reports.waitP90", mins],
  ["service_p50_min", "admin.reports.serviceP50", mins],
  ["service_p90_min", "admin.reports.serviceP90", mins],
];

// ------------------------------------------------------------------ the chart library

let chartLib = null;
function loadChartLib() {
  chartLib ??= new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = CHART_LIB;
    script.addEventListener("load", () => resolve(window.Chart));
    script.addEventListener("error", () => { chartLib = null; reject(new Error(CHART_LIB)); });
    document.head.append(script);
  });
  return chartLib;
}

function chartOptions(extra = {}) {
  const rtl = direction() === "rtl";
  return {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    locale: locale(),
    interaction: { mode: "index", intersect: false },
    plugins: {
      // Point styles in the legend: the two wait lines differ by shape, not by colour alone.
      legend: { display: extra.legend !== false, rtl, textDirection: direction(), labels: { usePointStyle: true } },
      tooltip: { rtl, textDirection: direction() },
    },
    scales: {
      x: { reverse: rtl, grid: { display: false }, ticks: { autoSkip: true, maxRotation: 0 } },
      y: { beginAtZero: true, position: rtl ? "right" : "left", ticks: { precision: 0 } },
    },
  };
}

function draw(Chart, id, titleKey, config) {
  R.charts[id]?.destroy();
  const canvas = $(id);
  canvas.setAttribute("aria-label", t("admin.reports.chartLabel", { title: t(titleKey) }));
  R.charts[id] = new Chart(canvas, config);
}

/** The hours worth drawing: from the first to the last with arrivals (all 24 if none). */
function busyHours(byHour) {
  const used = byHour.map((n, hour) => (n ? hour : null)).filter((hour) => hour !== null);
  const first = used.length ? used[0] : 0;
  const last = used.length ? used[used.length - 1] : 23;
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}

async function drawCharts(body) {
  const Chart = await loadChartLib();
  Chart.defaults.font.size = 14;
  const hours = busyHours(body.by_hour);
  draw(Chart, "rep-hours", "admin.reports.chartHours", {
    type: "bar",
    data: {
      labels: hours.map(hourText),
      datasets: [{ label: t("admin.reports.arrivals"), data: hours.map((hr) => body.by_hour[hr]), backgroundColor: COLORS.arrivals }],
    },
    options: chartOptions({ legend: false }),
  });
  draw(Chart, "rep-waits", "admin.reports.chartWaits", {
    type: "line",
    data: {
      labels: body.by_day.map((d) => dayShort(d.date)),
      datasets: [
        { label: t("admin.reports.waitP50"), data: body.by_day.map((d) => d.wait_p50_min), borderColor: COLORS.p50, backgroundColor: COLORS.p50, spanGaps: false, tension: 0.2, pointStyle: "circle", pointRadius: 4 },
        { label: t("admin.reports.waitP90"), data: body.by_day.map((d) => d.wait_p90_min), borderColor: COLORS.p90, backgroundColor: COLORS.p90, spanGaps: false, tension: 0.2, pointStyle: "triangle", pointRadius: 5 },
      ],
    },
    options: chartOptions(),
  });
  const providers = body.by_provider;
  draw(Chart, "rep-providers", "admin.reports.chartProviders", {
    type: "bar",
    data: {
      labels: providers.map(providerName),
      datasets: [
        { label: t("admin.reports.served"), data: providers.map((p) => p.served), backgroundColor: COLORS.served },
        { label: t("admin.reports.noShow"), data: providers.map((p) => p.no_show), backgroundColor: COLORS.noShow },
      ],
    },
    options: chartOptions(),
  });
}

// ------------------------------------------------------------------ tables

function table(captionKey, id, columns, rows) {
  return h("table", { class: "rep-table", attrs: { id } },
    h("caption", { text: t(captionKey) }),
    h("thead", null, h("tr", null, ...columns.map(([key]) => h("th", { text: t(key), attrs: { scope: "col" } })))),
    h("tbody", null, ...rows.map((row) => h("tr", null,
      ...columns.map(([, cell], i) => h(i ? "td" : "th", { text: cell(row), attrs: i ? {} : { scope: "row" } }))))));
}

const figureColumns = FIGURES.map(([field, key, fmt]) => [key, (row) => fmt(row[field])]);

function drawTables(body) {
  const hours = busyHours(body.by_hour);
  $("rep-tables").replaceChildren(
    table("admin.reports.byDay", "rep-table-days", [["admin.reports.day", (d) => dayLong(d.date)], ...figureColumns], body.by_day),
    table("admin.reports.byHour", "rep-table-hours",
      [["admin.reports.hour", (hr) => hourText(hr)], ["admin.reports.arrivals", (hr) => count(body.by_hour[hr])]], hours),
    table("admin.reports.byProvider", "rep-table-providers", [["admin.reports.provider", providerName], ...figureColumns], body.by_provider),
    table("admin.reports.byService", "rep-table-services", [["admin.reports.service", serviceName], ...figureColumns], body.by_service),
  );
}

// ------------------------------------------------------------------ the panel

function drawTotals(body) {
  $("rep-tiles").replaceChildren(...FIGURES.map(([field, key, fmt]) =>
    h("div", { class: "rep-tile", dataset: { field } }, h("dt", { text: t(key) }), h("dd", { text: fmt(body.totals[field]) }))));
  const e = body.estimates;
  setText($("rep-estimates"), e.compared
    ? t("admin.reports.estimates", {
      compared: formatNumber(e.compared), within5: percent(e.within_5_min),
      within25: percent(e.within_25_pct), error: formatNumber(e.mean_abs_error_min, { maximumFractionDigits: 1 }),
    })
    : t("admin.reports.estimatesNone"));
}

function drawAll() {
  const body = R.body;
  if (!body) return;
  const empty = body.totals.tickets === 0;
  setText($("rep-status"), empty ? t("admin.reports.empty") : t("admin.reports.rangeText", { from: dayLong(body.from), to: dayLong(body.to) }));
  $("reports").dataset.state = empty ? "empty" : "ready";
  drawTotals(body);
  drawTables(body);
  return drawCharts(body).catch(() => setText($("rep-status"), t("admin.reports.error")));
}

function markPreset() {
  for (const button of document.querySelectorAll("#reports [data-range]")) {
    button.setAttribute("aria-pressed", String(button.dataset.range === R.preset));
  }
  $("rep-custom").hidden = R.preset !== "custom";
}

async function load() {
  const asked = ++R.asked;
  $("reports").dataset.state = "loading";
  setText($("rep-status"), t("admin.reports.loading"));
  try {
    const body = await apiFetch("GET", `/api/v1/shops/${SHOP}/reports?from=${R.from}&to=${R.to}`);
    if (asked !== R.asked) return;  // a newer range was asked for meanwhile
    R.body = body;
    await drawAll();
  } catch (err) {
    if (asked !== R.asked) return;
    $("reports").dataset.state = "error";
    setText($("rep-status"), t(err.status === 422 ? "admin.reports.badRange" : "admin.reports.error"));
  }
}

function choose(preset) {
  R.preset = preset;
  markPreset();
  if (preset === "custom") {
    $("rep-from").value = R.from;
    $("rep-to").value = R.to;
    $("rep-from").focus();
    return;
  }
  [R.from, R.to] = presetRange(preset);
  load();
}

for (const button of document.querySelectorAll("#reports [data-range]")) {
  button.addEventListener("click", () => choose(button.dataset.range));
}

$("rep-custom").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const from = $("rep-from").value;
  const to = $("rep-to").value;
  if (!from || !to || from > to) {
    setText($("rep-status"), t("admin.reports.badRange"));
    return;
  }
  R.from = from;
  R.to = to;
  load();
});

$("rep-csv").addEventListener("click", () => act(async () => {
  const answer = await fetch(`/api/v1/shops/${SHOP}/reports/tickets.csv?from=${R.from}&to=${R.to}`, {
    headers: authHeaders(), credentials: "same-origin",
  });
  if (!answer.ok) throw new Error(String(answer.status));
  const name = /filename="([^"]+)"/.exec(answer.headers.get("Content-Disposition") || "");
  const link = h("a", { attrs: { href: URL.createObjectURL(await answer.blob()), download: name ? name[1] : "tickets.csv" } });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 60000);
}, "admin.act.csv", $("rep-csv")));

redrawOnChange(() => { drawAll(); });

// The first look at the panel asks for the last 7 days.
const firstLook = new IntersectionObserver((seen) => {
  if (!seen.some((entry) => entry.isIntersecting)) return;
  firstLook.disconnect();
  choose(R.preset);
}, { rootMargin: "200px" });
firstLook.observe($("reports"));
