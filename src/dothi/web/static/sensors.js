// The map's sensor layer: every device of /sensors/latest as a dot coloured by its latest
// state (VN_AQI colours for air, water level against its threshold, lamps on, off or at
// fault…), refreshed every 15 seconds; a click opens the device's card — its latest readings
// and a chart of the last day (hourly) or week (daily) from
// /sensors/datastreams/{id}/rollups — over the map (at the bottom on a phone, where a popup
// would not fit), following the refreshes while open. Names and values are user data: text
// nodes only.

const SOURCE = "dothi-sensors";
export const SENSOR_LAYER = "dothi-sensors:circle";
const SELECTED_LAYER = "dothi-sensors:selected";
const REFRESH_MS = 15000;
const SVG = "http://www.w3.org/2000/svg";
const PROFILES = ["air_quality", "flood", "lighting", "traffic", "waste", "meters", "water_quality"];

let ctx = null;
let map = null;
let doc = null;
const byId = new Map();
let sheet = null;
// The open card: which device, which stream is charted, which window.
let open = null;

const api = (path) => new URL(path, document.baseURI);
const pick = (pair) => (pair ? pair[ctx.LANG] ?? pair.vi : "");

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  node.append(...children);
  return node;
}

// Times as the city reads them: Vietnam time, "dd/MM HH:mm".
function when(iso, withDay = true) {
  if (!iso) return "–";
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-GB", {
    timeZone: "Asia/Ho_Chi_Minh", day: "2-digit", month: "2-digit", hour: "2-digit",
    minute: "2-digit", hourCycle: "h23",
  }).formatToParts(new Date(iso)).map((p) => [p.type, p.value]));
  const time = `${parts.hour}:${parts.minute}`;
  return withDay ? `${parts.day}/${parts.month} ${time}` : time;
}

function valueText(stream) {
  const v = stream.value;
  if (v === null || v === undefined) return "–";
  if (typeof v === "boolean") return v ? ctx.T.sensor_on : ctx.T.sensor_off;
  if (typeof v === "number") return `${ctx.fmt(v)}${stream.unit ? ` ${stream.unit}` : ""}`;
  if (typeof v === "string") return ctx.T[`sensor_fault_${v}`] ?? v;
  return JSON.stringify(v);
}

// The map draws flat properties; the full feature stays here, by id.
function forMap(data) {
  return {
    type: "FeatureCollection",
    features: data.features.filter((f) => f.geometry).map((f) => ({
      type: "Feature",
      id: f.id,
      geometry: f.geometry,
      properties: { id: f.id, colour: f.properties.state.colour, profile: f.properties.profile ?? "" },
    })),
  };
}

function renderLegend() {
  const section = document.getElementById("sensors");
  const list = document.getElementById("sensors-legend");
  if (!doc || !doc.features.length) {
    section.hidden = true;
    return;
  }
  section.hidden = false;
  const groups = new Map();
  for (const f of doc.features) {
    const p = f.properties;
    const profile = PROFILES.includes(p.profile) ? p.profile : "other";
    if (!groups.has(profile)) groups.set(profile, new Map());
    groups.get(profile).set(p.state.colour + pick(p.state.legend), p.state);
  }
  const order = [...PROFILES, "other"].filter((p) => groups.has(p));
  list.replaceChildren(...order.map((profile) => {
    const states = [...groups.get(profile).values()];
    return el("li", {}, el("strong", {}, ctx.T[`sensor_profile_${profile}`]),
      el("ul", {}, ...states.map((s) => {
        const swatch = el("span", { className: "swatch dot" });
        swatch.style.background = s.colour;
        return el("li", {}, swatch, pick(s.legend));
      })));
  }));
}

async function getJson(path) {
  const response = await fetch(api(path), { headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`HTTP ${response.status} ${path}`);
  return response.json();
}

// -- The chart ---------------------------------------------------------------------------------

function chartSvg(series, week) {
  const buckets = series.buckets;
  const W = 320;
  const H = 140;
  const right = 8;
  const top = 8;
  const bottom = 22;
  const t0 = Date.parse(series.from);
  const t1 = Date.parse(series.to);
  const lo = Math.min(...buckets.map((b) => b.min));
  const hi = Math.max(...buckets.map((b) => b.max));
  // Room on the left for the longer of the two values written there (10 px text).
  const left = 10 + 6 * Math.max(ctx.fmt(lo).length, ctx.fmt(hi).length);
  const pad = hi > lo ? (hi - lo) * 0.08 : Math.abs(hi) * 0.1 || 1;
  const y0 = lo - pad;
  const y1 = hi + pad;
  const width = week ? 86400000 : 3600000;
  const x = (t) => left + ((t - t0) / (t1 - t0)) * (W - left - right);
  const y = (v) => top + (1 - (v - y0) / (y1 - y0)) * (H - top - bottom);
  const mid = (b) => Date.parse(b.time) + width / 2;
  const unit = series.datastream.unit ? ` ${series.datastream.unit}` : "";
  const label = `${ctx.T.sensor_chart} ${week ? ctx.T.sensor_chart_week : ctx.T.sensor_chart_day}: ` +
    `${ctx.T.sensor_range} ${ctx.fmt(lo)}–${ctx.fmt(hi)}${unit}`;
  const parts = [
    svg("title", {}, label),
    svg("line", { x1: left, x2: W - right, y1: H - bottom, y2: H - bottom, class: "axis" }),
    svg("line", { x1: left, x2: left, y1: top, y2: H - bottom, class: "axis" }),
    svg("text", { x: left - 4, y: top + 8, "text-anchor": "end", class: "tick" }, ctx.fmt(hi)),
    svg("text", { x: left - 4, y: H - bottom, "text-anchor": "end", class: "tick" }, ctx.fmt(lo)),
    svg("text", { x: left, y: H - 6, class: "tick" }, when(series.from)),
    svg("text", { x: W - right, y: H - 6, "text-anchor": "end", class: "tick" }, when(series.to)),
  ];
  if (week) {
    // A day: its range as a bar, its mean as a dot.
    for (const b of buckets) {
      const cx = x(mid(b));
      parts.push(svg("line", { x1: cx, x2: cx, y1: y(b.min), y2: y(b.max), class: "range-bar" }));
      parts.push(svg("circle", { cx, cy: y(b.mean), r: 3, class: "mean-dot" }));
    }
  } else {
    const upper = buckets.map((b) => `${x(mid(b)).toFixed(1)},${y(b.max).toFixed(1)}`);
    const lower = buckets.map((b) => `${x(mid(b)).toFixed(1)},${y(b.min).toFixed(1)}`).reverse();
    parts.push(svg("polygon", { points: [...upper, ...lower].join(" "), class: "range" }));
    const line = buckets.map((b) => `${x(mid(b)).toFixed(1)},${y(b.mean).toFixed(1)}`).join(" ");
    parts.push(svg("polyline", { points: line, class: "mean" }));
    if (buckets.length === 1) parts.push(svg("circle", { cx: x(mid(buckets[0])), cy: y(buckets[0].mean), r: 3, class: "mean-dot" }));
  }
  return svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": label, class: "sensor-chart" }, ...parts);
}

async function drawChart(figure, stream, week) {
  const id = stream.id;
  let series;
  try {
    series = await getJson(`sensors/datastreams/${id}/rollups?resolution=${week ? "day" : "hour"}`);
  } catch {
    figure.replaceChildren(el("p", { className: "muted" }, ctx.T.sensors_error));
    return;
  }
  if (!open || open.stream !== id || open.week !== week) return; // another chart was asked for
  if (!series.buckets.length) {
    figure.replaceChildren(el("p", { className: "muted" }, ctx.T.sensor_no_chart));
    return;
  }
  const caption = el("figcaption", { className: "muted" },
    `${pick(stream.name)} (${week ? ctx.T.sensor_chart_week : ctx.T.sensor_chart_day}) – `,
    el("span", { className: "key mean-key" }), ` ${ctx.T.sensor_mean}, `,
    el("span", { className: "key range-key" }), ` ${ctx.T.sensor_range}`);
  figure.replaceChildren(chartSvg(series, week), caption);
}

// -- The card -----------------------------------------------------------------------------------

function card(feature) {
  const p = feature.properties;
  const charted = p.datastreams.filter((s) => s.chart);
  if (!charted.some((s) => s.id === open.stream)) open.stream = charted[0]?.id ?? null;
  const swatch = el("span", { className: "swatch dot" });
  swatch.style.background = p.state.colour;
  const rows = p.datastreams.map((s) => el("tr", {},
    el("th", { scope: "row" }, pick(s.name)),
    el("td", {}, valueText(s)),
    el("td", { className: "muted" }, when(s.time, false))));
  const figure = el("figure", { className: "chart" });
  const tabs = el("div", { className: "chart-tabs", role: "group", ariaLabel: ctx.T.sensor_chart });
  for (const [week, text] of [[false, ctx.T.sensor_day], [true, ctx.T.sensor_week]]) {
    const button = el("button", { type: "button" }, text);
    button.setAttribute("aria-pressed", String(open.week === week));
    button.addEventListener("click", () => {
      open.week = week;
      showCard(feature);
    });
    tabs.append(button);
  }
  let chooser = null;
  if (charted.length > 1) {
    chooser = el("select", { ariaLabel: ctx.T.sensor_chart },
      ...charted.map((s) => el("option", { value: String(s.id), selected: s.id === open.stream }, pick(s.name))));
    chooser.addEventListener("change", () => {
      open.stream = Number(chooser.value);
      showCard(feature);
    });
  }
  const badge = p.simulated ? ctx.T.sensor_simulated : p.replayed ? ctx.T.sensor_replayed : null;
  const parts = [
    el("h3", {}, p.name),
    badge ? el("span", { className: "badge" }, badge) : null,
    el("p", { className: "sensor-state" }, swatch, pick(p.state.label)),
    el("h4", {}, ctx.T.sensor_latest),
    el("table", { className: "readings" }, el("tbody", {}, ...rows)),
  ];
  if (open.stream !== null) {
    const stream = charted.find((s) => s.id === open.stream);
    parts.push(el("div", { className: "chart-controls" }, tabs, chooser), figure);
    window.dothiSensorChart = drawChart(figure, stream, open.week);
  }
  parts.push(el("p", { className: "muted updated" }, `${ctx.T.sensor_updated} ${when(doc.time)}`));
  return el("div", { className: "sensor-card" }, ...parts);
}

function closeCard() {
  open = null;
  sheet.hidden = true;
  sheet.replaceChildren();
  if (map.getLayer(SELECTED_LAYER)) map.setFilter(SELECTED_LAYER, ["==", ["get", "id"], -1]);
}

function showCard(feature) {
  const shut = el("button", { type: "button", className: "close", ariaLabel: ctx.T.sensor_close, title: ctx.T.sensor_close }, "×");
  shut.addEventListener("click", closeCard);
  sheet.replaceChildren(shut, card(feature));
  sheet.hidden = false;
  map.setFilter(SELECTED_LAYER, ["==", ["get", "id"], feature.id]);
}

/** Open the card of a device (a feature of the sensor layer under the pointer). */
export function openSensor(hit) {
  const feature = byId.get(Number(hit.properties.id));
  if (!feature) return;
  if (open?.id !== feature.id) open = { id: feature.id, stream: null, week: false };
  showCard(feature);
}

/** The device under ``point`` (a few pixels around it), if the layer is shown. */
export function sensorAt(point) {
  if (!map?.getLayer(SENSOR_LAYER) || map.getLayoutProperty(SENSOR_LAYER, "visibility") === "none") return null;
  const { x, y } = point;
  return map.queryRenderedFeatures([[x - 6, y - 6], [x + 6, y + 6]], { layers: [SENSOR_LAYER] })[0] ?? null;
}

// -- Loading and refreshing ---------------------------------------------------------------------

async function refresh() {
  let data;
  try {
    data = await getJson("sensors/latest");
  } catch {
    ctx.showStatus(ctx.T.sensors_error);
    return;
  }
  doc = data;
  byId.clear();
  for (const f of data.features) byId.set(f.id, f);
  const source = map.getSource(SOURCE);
  if (source) {
    source.setData(forMap(data));
  } else {
    map.addSource(SOURCE, { type: "geojson", data: forMap(data) });
    map.addLayer({
      id: SELECTED_LAYER,
      type: "circle",
      source: SOURCE,
      filter: ["==", ["get", "id"], -1],
      paint: {
        "circle-color": "rgba(0, 0, 0, 0)",
        "circle-radius": ["interpolate", ["linear"], ["zoom"], 10, 8, 15, 11, 18, 15],
        "circle-stroke-color": "#2f5fa7",
        "circle-stroke-width": 3,
      },
    });
    map.addLayer({
      id: SENSOR_LAYER,
      type: "circle",
      source: SOURCE,
      paint: {
        "circle-color": ["get", "colour"],
        "circle-radius": ["interpolate", ["linear"], ["zoom"], 10, 3.5, 15, 6, 18, 9],
        "circle-stroke-color": "#1d2733",
        "circle-stroke-width": ["interpolate", ["linear"], ["zoom"], 10, 0.6, 16, 1.5],
      },
    });
  }
  // Layers added after ours (a sign-in reloads them) would cover the dots.
  map.moveLayer(SELECTED_LAYER);
  map.moveLayer(SENSOR_LAYER);
  renderLegend();
  if (open) {
    const feature = byId.get(open.id);
    if (feature) showCard(feature);
    else closeCard();
  }
}

/** Start the layer on ``theMap`` once its style is loaded; ``context`` gives the page's
 *  words (T), language, number format and status line. */
export function startSensors(theMap, context) {
  map = theMap;
  ctx = context;
  sheet = el("section", { id: "sensor-card", className: "sensor-sheet", hidden: true, ariaLabel: ctx.T.sensors_heading });
  map.getContainer().append(sheet);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && open) closeCard();
  });
  const box = document.getElementById("show-sensors");
  box.addEventListener("change", () => {
    for (const id of [SENSOR_LAYER, SELECTED_LAYER]) {
      if (map.getLayer(id)) map.setLayoutProperty(id, "visibility", box.checked ? "visible" : "none");
    }
    if (!box.checked) closeCard();
  });
  // For tests and the browser console: refresh now, and wait for it.
  window.dothiSensorsRefresh = () => refresh();
  window.dothiSensorsReady = refresh();
  setInterval(refresh, REFRESH_MS);
  return window.dothiSensorsReady;
}
