// Dothi's map page: every layer the visitor may read, drawn by MapLibre GL JS from Dothi's
// own vector tiles over a base of the city's own roads, water and wards, with a layer list,
// a legend, a popup of the features at the clicked place and the planning answer there.
// Titles, property values and attributions are user data: they reach the page as text
// (textContent, text nodes) only, never as HTML. The page speaks one language: the words
// come from the server in config.text, codes and field names from the layers' labels.
import * as maplibregl from "./vendor/maplibre-gl/maplibre-gl.mjs";
import { signIn } from "./signin.js";
import { SENSOR_LAYER, openSensor, sensorAt, startSensors } from "./sensors.js";

const config = JSON.parse(document.getElementById("dothi-config").textContent);
const T = config.text;
const LANG = config.lang;
// Colours that stay apart from each other; a layer's comes from its id, so that adding a
// layer never recolours the others.
const PALETTE = [
  "#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4",
  "#f032e6", "#9a6324", "#469990", "#800000", "#808000", "#000075",
];
const CORE_COLOURS = {
  land_parcel: "#7a4f1d", planning_zone: "#b03a2e", planning_constraint: "#c0392b",
  building: "#6b6f76", public_facility: "#1f5fbf", population: "#7b2d8e",
  road: "#8a8f98", green_water: "#3f8f4f", admin_commune: "#6c5a8a", admin_province: "#4b4f58",
};
// Layers drawn as the base map (under the others, in quiet colours, with their names).
const BASE = new Set(["admin_province", "admin_commune", "road", "green_water"]);
// When several features are under the pointer, the one a person means comes first.
const PRIORITY = ["land_parcel", "public_facility", "building", "planning_zone",
  "planning_constraint", "population"];
const isType = (...types) => ["in", ["geometry-type"], ["literal", types]];
const POLYGONS = isType("Polygon", "MultiPolygon");
const LINES = isType("LineString", "MultiLineString");
const POINTS = isType("Point", "MultiPoint");
const FONT = ["Noto Sans Regular"];

let token = "";
// Layers on the map by collection id: {collection, colour, mapLayers, labels}.
const shown = new Map();
// Plans by id (from /planning/plans) and the ids of plans not in force.
let plans = new Map();
let popup = null;

const api = (path) => new URL(path, document.baseURI);
const sameOrigin = (url) => new URL(url, document.baseURI).origin === location.origin;
// new URL() would percent-encode the {z}/{x}/{y} of a tile template, so only prefix it.
const absolute = (url) => (url.startsWith("/") ? location.origin + url : url);
const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const titleOf = (c) => (LANG === "en" && c["x-title-en"]) || c.title || c.id;

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

function showStatus(text) {
  document.getElementById("status").textContent = text || "";
}

// Numbers as the page's language writes them: 1 234,5 in Vietnamese, 1,234.5 in English.
function fmt(value, digits = 2) {
  if (value === null || value === undefined || value === "") return "–";
  const n = Number(value);
  if (!Number.isFinite(n)) return String(value);
  const text = n.toLocaleString("en-US", { maximumFractionDigits: digits });
  return LANG === "en" ? text : text.replace(/,/g, " ").replace(".", ",");
}

function colourOf(id) {
  if (CORE_COLOURS[id]) return CORE_COLOURS[id];
  let hash = 0;
  for (const ch of id) hash = (hash * 31 + ch.codePointAt(0)) >>> 0;
  return PALETTE[hash % PALETTE.length];
}

async function getJson(path) {
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(api(path), { headers });
  if (!response.ok) throw new Error(`HTTP ${response.status} ${path}`);
  return response.json();
}

function baseStyle() {
  const style = {
    version: 8,
    // Dothi serves the glyphs of its labels itself (Noto Sans, every Vietnamese letter).
    glyphs: `${api("static/glyphs/").href}{fontstack}/{range}.pbf`,
    sources: {},
    layers: [{ id: "background", type: "background", paint: { "background-color": "#f3f1ec" } }],
  };
  if (config.basemap?.kind === "raster") {
    style.sources.basemap = { type: "raster", tiles: [absolute(config.basemap.url)], tileSize: 256 };
    style.layers.push({ id: "basemap", type: "raster", source: "basemap" });
  }
  return style;
}

// Where the page opens: the view a shared link names (#map=zoom/lat/lon&parcel=uid).
function readHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  const [zoom, lat, lon] = (params.get("map") || "").split("/").map(Number);
  const view = [zoom, lat, lon].every(Number.isFinite) ? { zoom, center: [lon, lat] } : null;
  return { view, parcel: params.get("parcel") };
}
const opening = readHash();
let chosenParcel = opening.parcel;

const map = new maplibregl.Map({
  container: "map",
  style: config.basemap?.kind === "style" ? absolute(config.basemap.url) : baseStyle(),
  center: opening.view?.center ?? [106.7, 16],
  zoom: opening.view?.zoom ?? 4,
  attributionControl: { compact: true },
  // The token goes to Dothi only, never to a basemap server.
  transformRequest: (url) =>
    token && sameOrigin(url) ? { url, headers: { Authorization: `Bearer ${token}` } } : { url },
});
map.addControl(new maplibregl.NavigationControl(), "top-right");
map.addControl(new maplibregl.GeolocateControl({
  positionOptions: { enableHighAccuracy: true }, trackUserLocation: false,
}), "top-right");
map.addControl(new maplibregl.ScaleControl(), "top-left");
map.on("error", (event) => {
  console.error(event.error);
  showStatus(T.error_map);
});
const styleReady = new Promise((resolve) => map.once("load", resolve));
// For tests and for the browser console.
window.dothiMap = map;

// On a phone the attribution stays folded (one button) until the person opens it, so that
// it does not cover the map; MapLibre unfolds it again on each resize, hence the listeners.
const narrow = window.matchMedia("(max-width: 40rem)");
let attributionOpened = false;
function foldAttribution() {
  const box = document.querySelector(".maplibregl-ctrl-attrib");
  if (!box || !narrow.matches || attributionOpened) return;
  box.classList.remove("maplibregl-compact-show");
}
styleReady.then(() => {
  document.querySelector(".maplibregl-ctrl-attrib-button")?.addEventListener("click", () => {
    attributionOpened = document.querySelector(".maplibregl-ctrl-attrib")
      .classList.contains("maplibregl-compact-show");
  });
  foldAttribution();
});
map.on("resize", foldAttribution);
map.on("idle", foldAttribution);

const area = (b) => (b ? (b[2] - b[0]) * (b[3] - b[1]) : 0);
const bboxOf = (collection) => collection.extent?.spatial?.bbox?.[0];

// Diagonal hatching for zones of plans not in force.
function hatch() {
  const size = 8;
  const data = new Uint8Array(size * size * 4);
  for (let y = 0; y < size; y += 1) {
    for (let x = 0; x < size; x += 1) {
      if ((x + y) % size < 2) data.set([122, 42, 30, 190], (y * size + x) * 4);
    }
  }
  return { width: size, height: size, data };
}

const notInForce = () => [...plans.values()].filter((p) => p.status !== "approved").map((p) => p.id);
const drafts = () => [...plans.values()]
  .filter((p) => p.status === "draft" || p.status === "consultation").map((p) => p.id);
const planOf = ["coalesce", ["get", "plan_id"], ""];
const inForceFilter = () => ["all", POLYGONS, ["!", ["in", planOf, ["literal", notInForce()]]]];
const draftFilter = () => ["all", POLYGONS, ["in", planOf, ["literal", drafts()]]];
const showDrafts = () => document.getElementById("show-drafts").checked;

function zoneColour(entry) {
  const colours = entry.labels?.colours?.land_use_function ?? {};
  const pairs = Object.entries(colours).flat();
  return pairs.length ? ["match", ["get", "land_use_function"], ...pairs, entry.colour] : entry.colour;
}

function baseLayers(entry, common) {
  const id = entry.collection.id;
  const src = `dothi:${id}`;
  if (id === "green_water") {
    const water = ["==", ["get", "category"], "water"];
    return [
      { ...common, id: `${src}:fill`, type: "fill", filter: POLYGONS,
        paint: { "fill-color": ["case", water, "#a9d3f0", "#c8e6b8"] } },
      { ...common, id: `${src}:label`, type: "symbol", filter: ["has", "name"], minzoom: 13,
        layout: { "text-field": ["get", "name"], "text-font": FONT, "text-size": 12 },
        paint: { "text-color": "#2f5f3a", "text-halo-color": "#ffffff", "text-halo-width": 1.2 } },
    ];
  }
  if (id === "road") {
    const major = ["in", ["get", "road_class"], ["literal", ["expressway", "urban_arterial", "main_urban", "inter_district"]]];
    return [
      { ...common, id: `${src}:casing`, type: "line", filter: LINES,
        layout: { "line-cap": "round", "line-join": "round" },
        paint: { "line-color": "#c9c2b4",
          "line-width": ["interpolate", ["linear"], ["zoom"], 12, ["case", major, 3, 1.5], 18, ["case", major, 18, 11]] } },
      { ...common, id: `${src}:line`, type: "line", filter: LINES,
        layout: { "line-cap": "round", "line-join": "round" },
        paint: { "line-color": ["case", major, "#fde6a8", "#ffffff"],
          "line-width": ["interpolate", ["linear"], ["zoom"], 12, ["case", major, 2, 0.8], 18, ["case", major, 15, 9]] } },
      { ...common, id: `${src}:label`, type: "symbol", filter: ["all", LINES, ["has", "name"]], minzoom: 14,
        layout: { "symbol-placement": "line", "text-field": ["get", "name"], "text-font": FONT, "text-size": 12 },
        paint: { "text-color": "#3b3f45", "text-halo-color": "#ffffff", "text-halo-width": 1.5 } },
    ];
  }
  const province = id === "admin_province";
  return [
    { ...common, id: `${src}:line`, type: "line", filter: ["!", POINTS],
      paint: { "line-color": province ? "#6d6478" : "#9a8fb0", "line-width": province ? 1.6 : 1,
        "line-dasharray": province ? [1, 0] : [3, 2] } },
    { ...common, id: `${src}:label`, type: "symbol", filter: POLYGONS,
      minzoom: province ? 5 : 11, maxzoom: province ? 10 : 24,
      layout: { "text-field": ["get", "name"], "text-font": FONT, "text-size": province ? 13 : 12,
        "text-transform": "uppercase", "text-letter-spacing": 0.05 },
      paint: { "text-color": "#5d5470", "text-halo-color": "#ffffff", "text-halo-width": 1.5 } },
  ];
}

function thematicLayers(entry, common) {
  const src = `dothi:${entry.collection.id}`;
  const zones = entry.collection.id === "planning_zone";
  const fillColour = zones ? zoneColour(entry) : entry.colour;
  const fillFilter = zones ? inForceFilter() : POLYGONS;
  const layers = [
    { ...common, id: `${src}:fill`, type: "fill", filter: fillFilter,
      paint: { "fill-color": fillColour, "fill-opacity": zones ? 0.55 : 0.18 } },
    { ...common, id: `${src}:line`, type: "line",
      filter: zones ? inForceFilter() : ["!", POINTS],
      paint: { "line-color": zones ? "#5b2c1f" : entry.colour, "line-width": ["case", LINES, 2, 1] } },
    { ...common, id: `${src}:circle`, type: "circle", filter: POINTS,
      paint: {
        "circle-color": entry.colour,
        "circle-radius": ["interpolate", ["linear"], ["zoom"], 8, 3, 16, 6],
        "circle-stroke-color": "#ffffff",
        "circle-stroke-width": 1,
      } },
  ];
  if (zones) {
    // Zones of draft plans: hatched, with a dashed outline, only when asked for.
    const hidden = showDrafts() ? "visible" : "none";
    layers.push(
      { ...common, id: `${src}:draft-fill`, type: "fill", filter: draftFilter(),
        layout: { visibility: hidden }, paint: { "fill-pattern": "dothi-hatch" } },
      { ...common, id: `${src}:draft-line`, type: "line", filter: draftFilter(),
        layout: { visibility: hidden },
        paint: { "line-color": "#7a2a1e", "line-width": 2, "line-dasharray": [3, 2] } },
    );
  }
  return layers;
}

function addToMap(entry) {
  const id = entry.collection.id;
  const tj = entry.tilejson;
  const source = `dothi:${id}`;
  map.addSource(source, {
    type: "vector",
    tiles: tj.tiles,
    minzoom: tj.minzoom ?? 0,
    maxzoom: tj.maxzoom ?? 18,
    bounds: tj.bounds,
    // MapLibre shows attributions as HTML.
    attribution: tj.attribution ? escapeHtml(tj.attribution) : undefined,
  });
  const common = { source, "source-layer": id };
  const layers = BASE.has(id) ? baseLayers(entry, common) : thematicLayers(entry, common);
  entry.mapLayers = layers.map((l) => l.id);
  return layers;
}

function clearMap() {
  popup?.remove();
  for (const entry of shown.values()) {
    for (const id of entry.mapLayers) map.removeLayer(id);
    map.removeSource(`dothi:${entry.collection.id}`);
  }
  shown.clear();
}

function setVisible(entry, visible) {
  entry.visible = visible;
  for (const id of entry.mapLayers) {
    const draft = id.endsWith(":draft-fill") || id.endsWith(":draft-line");
    map.setLayoutProperty(id, "visibility", visible && (!draft || showDrafts()) ? "visible" : "none");
  }
  renderLegend();
}

function renderList(entries) {
  const list = document.getElementById("layers");
  if (!entries.length) {
    list.replaceChildren(el("li", { className: "muted" }, T.no_layers));
    return;
  }
  list.replaceChildren(...entries.map((entry) => {
    const c = entry.collection;
    const box = el("input", { type: "checkbox", checked: Boolean(entry.tilejson), disabled: !entry.tilejson });
    box.addEventListener("change", () => setVisible(entry, box.checked));
    const swatch = el("span", { className: BASE.has(c.id) ? "swatch base" : "swatch" });
    swatch.style.background = entry.colour;
    const item = el("li", entry.tilejson ? {} : { className: "unavailable", title: T.no_tiles },
      el("label", {}, box, swatch, el("span", { className: "names" }, titleOf(c))));
    item.dataset.layer = c.id;
    return item;
  }));
  document.getElementById("signin-note").hidden = Boolean(token);
}

// The legend: the land-use colours of the zones in view, and what hatching means.
function renderLegend() {
  const zones = shown.get("planning_zone");
  const section = document.getElementById("legend");
  if (!zones || zones.visible === false) {
    section.hidden = true;
    return;
  }
  const colours = zones.labels?.colours?.land_use_function ?? {};
  const names = zones.labels?.values?.land_use_function ?? {};
  const inView = new Set(map.queryRenderedFeatures({ layers: [`dothi:planning_zone:fill`] })
    .map((f) => f.properties.land_use_function));
  const codes = Object.keys(colours).filter((code) => !inView.size || inView.has(code));
  const items = codes.map((code) => {
    const swatch = el("span", { className: "swatch" });
    swatch.style.background = colours[code];
    return el("li", {}, swatch, names[code] ?? code);
  });
  if (showDrafts() && drafts().length) {
    items.push(el("li", {}, el("span", { className: "swatch hatched" }), T.legend_draft));
  }
  section.hidden = !items.length;
  document.getElementById("legend-items").replaceChildren(...items);
}

function fit(entries) {
  const all = entries.map((e) => bboxOf(e.collection)).filter(Boolean);
  if (!all.length) return;
  // Open on where most layers are: a country-wide layer (the provinces) should not zoom the
  // map out of the city. Boxes far larger than the median one are left out of the fit.
  const areas = all.map(area).sort((a, b) => a - b);
  const median = areas[Math.floor(areas.length / 2)];
  const boxes = all.filter((b) => area(b) <= Math.max(median, 1e-12) * 50);
  const west = Math.min(...boxes.map((b) => b[0]));
  const south = Math.min(...boxes.map((b) => b[1]));
  const east = Math.max(...boxes.map((b) => b[2]));
  const north = Math.max(...boxes.map((b) => b[3]));
  map.fitBounds([[west, south], [east, north]], { padding: 24, animate: false, maxZoom: 17 });
}

async function loadLayers() {
  await styleReady;
  if (!map.hasImage("dothi-hatch")) map.addImage("dothi-hatch", hatch());
  clearMap();
  showStatus("");
  let collections;
  try {
    collections = (await getJson("ogcapi/collections")).collections;
  } catch (error) {
    console.warn(error);
    showStatus(T.error_layers);
    renderList([]);
    return;
  }
  const found = await getJson("planning/plans").catch(() => ({ plans: [] }));
  plans = new Map(found.plans.map((p) => [p.id, p]));
  const entries = collections.map((collection) => ({
    collection, colour: colourOf(collection.id), mapLayers: [], tilejson: null, labels: null,
  }));
  await Promise.all(entries.map(async (entry) => {
    const id = encodeURIComponent(entry.collection.id);
    [entry.tilejson, entry.labels] = await Promise.all([
      getJson(`ogcapi/collections/${id}/tiles/WebMercatorQuad`).catch(() => null),
      getJson(`api/layers/${id}/labels?lang=${LANG}`).catch(() => null),
    ]);
  }));
  // The base first; then the largest extents, so that provinces do not cover parcels; all
  // fills under all outlines, all points on top, names above everything.
  const drawn = entries.filter((e) => e.tilejson).sort((a, b) =>
    (BASE.has(b.collection.id) - BASE.has(a.collection.id))
    || area(bboxOf(b.collection)) - area(bboxOf(a.collection)));
  const layers = drawn.flatMap(addToMap);
  const rank = (l) => (l.type === "symbol" ? 4 : l.type === "circle" ? 3
    : l.id.includes(":draft-") ? 2 : l.type === "line" && !BASE.has(l["source-layer"]) ? 1 : 0);
  const order = layers.map((l, i) => [rank(l), i, l]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  for (const [, , l] of order) map.addLayer(l);
  // The sensors stay on top of the layers (re)loaded under them.
  if (map.getLayer(SENSOR_LAYER)) map.moveLayer(SENSOR_LAYER);
  for (const entry of drawn) shown.set(entry.collection.id, entry);
  renderList(entries);
  if (!opening.view) fit(entries);
  opening.view = null;
  map.once("idle", renderLegend);
  if (chosenParcel) await openParcel(chosenParcel);
}

function visibleLayerIds() {
  return [...shown.values()].flatMap((e) => e.mapLayers)
    .filter((id) => !id.endsWith(":label") && !id.endsWith(":casing"))
    .filter((id) => map.getLayoutProperty(id, "visibility") !== "none");
}

// -- Labels: what people read instead of codes ------------------------------------------------

function display(layerId, field, value) {
  if (value === null || value === undefined || value === "") return "–";
  if (typeof value === "boolean") return value ? T.yes : T.no;
  const label = shown.get(layerId)?.labels?.values?.[field]?.[String(value)];
  if (label) return label;
  if (typeof value === "number") return fmt(value);
  return String(value);
}
const fieldTitle = (layerId, field) => shown.get(layerId)?.labels?.fields?.[field] ?? field;
const illustrativeBadge = () => el("span", { className: "badge" }, T.illustrative);

// The plan's status in the words the API gives it (status_label), which the sheet and the
// consultation page use too: the card never says it differently from the PDF.
function planStatus(planId) {
  const plan = plans.get(planId);
  if (!planId) return null;
  if (!plan) return T.status_unknown;
  return plan.status_label?.[LANG] ?? T[`status_${plan.status}`] ?? T.status_unknown;
}

// -- The popup: the features at the clicked place, the one meant first --------------------

function kindRank(feature) {
  const t = feature.geometry?.type ?? "";
  return t.includes("Point") ? 0 : t.includes("Line") ? 1 : 2;
}

function ranked(hits) {
  const seen = new Set();
  const unique = [];
  for (const f of hits) {
    const key = `${f.sourceLayer}/${f.properties.fid ?? f.id}`;
    if (!seen.has(key)) {
      seen.add(key);
      unique.push(f);
    }
  }
  const layerRank = (f) => (BASE.has(f.sourceLayer) ? 99
    : PRIORITY.includes(f.sourceLayer) ? PRIORITY.indexOf(f.sourceLayer) : PRIORITY.length);
  // A zone in force before a draft one: the popup agrees with the card.
  const draftRank = (f) => (f.layer.id.includes(":draft-") ? 1 : 0);
  return unique.map((f, i) => [f, i]).sort(([a, i], [b, j]) =>
    kindRank(a) - kindRank(b) || layerRank(a) - layerRank(b) || draftRank(a) - draftRank(b) || i - j)
    .map(([f]) => f);
}

function describe(feature) {
  const layerId = feature.sourceLayer;
  const c = shown.get(layerId).collection;
  const props = feature.properties;
  const fid = props.fid ?? feature.id;
  const skip = new Set(["fid", "illustrative"]);
  const rows = Object.entries(props).filter(([key]) => !skip.has(key)).map(([key, value]) =>
    el("tr", {}, el("th", { scope: "row" }, fieldTitle(layerId, key)),
      el("td", {}, display(layerId, key, value))));
  const status = layerId === "planning_zone" ? planStatus(props.plan_id) : null;
  const draft = status && plans.get(props.plan_id)?.status !== "approved";
  const record = api(`ogcapi/collections/${encodeURIComponent(c.id)}/items/${encodeURIComponent(fid)}?f=html`);
  return el("div", {},
    el("h3", {}, titleOf(c)),
    props.illustrative === true ? illustrativeBadge() : null,
    status ? el("p", { className: draft ? "plan-status draft" : "plan-status" },
      el("strong", {}, `${T.plan_status}: `), status) : null,
    el("div", { className: "props" }, el("table", {}, el("tbody", {}, ...rows))),
    fid === undefined ? null : el("p", {}, el("a", { href: record.href, target: "_blank", rel: "noopener" },
      T.view_record)));
}

function openPopup(lngLat, features) {
  popup?.remove();
  if (!features.length) return;
  let index = 0;
  const body = el("div", { className: "popup-body" });
  const count = el("span", { className: "count" });
  const prev = el("button", { type: "button", className: "step", ariaLabel: T.previous, title: T.previous }, "‹");
  const next = el("button", { type: "button", className: "step", ariaLabel: T.next, title: T.next }, "›");
  const show = (i) => {
    index = (i + features.length) % features.length;
    count.textContent = `${index + 1}/${features.length}`;
    body.replaceChildren(describe(features[index]));
  };
  prev.addEventListener("click", () => show(index - 1));
  next.addEventListener("click", () => show(index + 1));
  const nav = features.length > 1 ? el("div", { className: "stepper" }, count, prev, next) : null;
  show(0);
  popup = new maplibregl.Popup({ maxWidth: "24rem", className: "popup" })
    .setLngLat(lngLat).setDOMContent(el("div", {}, nav, body)).addTo(map);
}

// Points are small: a few pixels around the click count as a hit.
const around = ({ x, y }) => [[x - 4, y - 4], [x + 4, y + 4]];

function featuresAt(point) {
  const layers = visibleLayerIds();
  return layers.length ? ranked(map.queryRenderedFeatures(around(point), { layers })) : [];
}

// -- The planning card: the answer of /planning/lookup for the place ----------------------

function planningCard(doc, lookupQuery) {
  const rows = [];
  const line = (label, ...value) => rows.push(el("p", {}, el("strong", {}, `${label}: `), ...value));
  const illustrative = [doc.parcel, ...doc.zones.map((z) => z.properties)]
    .some((p) => p?.illustrative === true);
  if (illustrative) rows.push(illustrativeBadge());
  if (doc.commune) line(T.commune, doc.commune.full_name || doc.commune.name);
  if (doc.parcel) {
    const p = doc.parcel;
    if (p.address) line(T.address, p.address);
    line(T.parcel, `${T.parcel_no} ${p.parcel_no}, ${T.sheet_no} ${p.sheet_no} – ${fmt(doc.parcel_area_m2, 1)} m²`);
    if (p.land_use_code) line(fieldTitle("land_parcel", "land_use_code"), display("land_parcel", "land_use_code", p.land_use_code));
  }
  const zoneLine = (z, heading) => {
    // A zone of a draft carries its rules as proposals (and what they would change).
    const r = z.rules ?? z.proposed_rules;
    const share = z.share === null ? "" : ` (${fmt(z.share * 100, 0)} %)`;
    const use = display("planning_zone", "land_use_function", z.properties.land_use_function);
    const status = planStatus(z.properties.plan_id) ?? z.plan?.status_label?.[LANG] ?? T.status_approved;
    const item = el("div", { className: heading === T.zone_in_force ? "zone" : "zone draft" },
      el("p", {}, el("strong", {}, `${heading} ${z.properties.zone_code ?? z.zone_uid}${share}`)),
      el("p", { className: "plan-status" }, `${T.plan_status}: ${status}`),
      el("p", {}, `${use} · ${T.coverage} ≤ ${fmt(r.max_coverage_pct, 0)} % · ${T.floors} ≤ ${fmt(r.max_floors, 0)} · ${T.far} ≤ ${fmt(r.max_far, 1)}`));
    rows.push(item);
    return item;
  };
  for (const z of doc.zones) zoneLine(z, T.zone_in_force);
  for (const z of doc.proposed_zones) {
    const item = zoneLine(z, T.zone_proposed);
    if (z.change === "unchanged") item.append(el("p", { className: "muted" }, T.no_change));
    if (z.change === "added") item.append(el("p", {}, T.new_zone));
    for (const c of z.changes ?? []) {
      item.append(el("p", { className: "change" }, el("strong", {}, `${c.title[LANG]}: `),
        `${T.now} ${c.before_text[LANG]}, ${T.proposed} ${c.after_text[LANG]}`));
    }
    if (z.properties.plan_id) {
      // A place clicked on the map goes with the comment; a parcel found by its address or
      // number has no point, so the link names the zone it lies in.
      const where = lookupQuery.startsWith("lon=") ? lookupQuery
        : `zone=${encodeURIComponent(z.properties.zone_code ?? z.zone_uid)}`;
      const href = api(`consultation?plan=${encodeURIComponent(z.properties.plan_id)}&${where}`).href;
      item.append(el("p", {}, el("a", { className: "comment-here", href }, T.comment_here)));
    }
  }
  for (const c of doc.constraints) {
    line(`${T.constraint}`, display("planning_constraint", "kind", c.kind),
      c.area_m2 === null ? "" : ` – ${fmt(c.area_m2, 1)} m²`);
  }
  if (doc.envelope) {
    line(T.at_most, `${T.footprint} ${fmt(doc.envelope.max_footprint_m2, 1)} m², ` +
      `${T.floor_area} ${fmt(doc.envelope.max_floor_area_m2, 1)} m²`);
  }
  if (!doc.zones.length && !doc.parcel) line(T.plan, T.no_data);
  if (doc.parcel) {
    rows.push(el("p", {}, el("a", { id: "planning-sheet", href: api(`planning/sheet?${lookupQuery}`).href,
      target: "_blank", rel: "noopener" }, T.sheet_pdf)));
  }
  rows.push(el("p", { className: "muted" }, doc.disclaimer[LANG] ?? doc.disclaimer.vi));
  return rows;
}

async function showAnswer(query) {
  const card = document.getElementById("planning");
  try {
    const doc = await getJson(`planning/lookup?${query}`);
    card.replaceChildren(el("h2", {}, T.planning_here), ...planningCard(doc, query));
    return doc;
  } catch {
    card.replaceChildren(el("p", { className: "muted" }, T.no_answer));
    return null;
  }
}

async function lookupAt(lngLat, point) {
  openPopup(lngLat, featuresAt(point));
  const doc = await showAnswer(`lon=${lngLat.lng.toFixed(7)}&lat=${lngLat.lat.toFixed(7)}`);
  chosenParcel = doc?.parcel?.parcel_uid ?? null;
  writeHash();
}

map.on("click", (event) => {
  // A sensor's dot opens its readings rather than the planning of the place.
  const sensor = sensorAt(event.point);
  if (sensor) {
    popup?.remove();
    openSensor(sensor);
    return;
  }
  window.dothiPlanning = lookupAt(event.lngLat, event.point);
});

// From the keyboard: the map takes focus (Tab), the arrows move it, Enter looks up its centre.
map.getCanvas().setAttribute("aria-label", T.map_label);
map.getCanvas().addEventListener("keydown", (event) => {
  if (event.key !== "Enter") return;
  event.preventDefault();
  window.dothiPlanning = lookupAt(map.getCenter(), map.project(map.getCenter()));
});

map.on("mousemove", (event) => {
  map.getCanvas().style.cursor = sensorAt(event.point) || featuresAt(event.point).length ? "pointer" : "";
});

// -- A link to this view and parcel ---------------------------------------------------------

function writeHash() {
  const c = map.getCenter();
  const params = new URLSearchParams();
  params.set("map", `${map.getZoom().toFixed(2)}/${c.lat.toFixed(6)}/${c.lng.toFixed(6)}`);
  if (chosenParcel) params.set("parcel", chosenParcel);
  // decodeURIComponent: keep the slashes readable.
  history.replaceState(null, "", `#${decodeURIComponent(params.toString())}`);
}
map.on("moveend", writeHash);

document.getElementById("share").addEventListener("click", async () => {
  writeHash();
  const out = document.getElementById("share-done");
  const link = el("a", { href: location.href }, location.href);
  try {
    await navigator.clipboard.writeText(location.href);
    out.replaceChildren(T.share_copied, " ", link);
  } catch {
    out.replaceChildren(T.share_copy_this, " ", link);
  }
});

// -- Finding one's land: address, street, ward, sheet and parcel number ---------------------

document.getElementById("search-form").addEventListener("submit", (event) => {
  event.preventDefault();
  window.dothiSearch = search();
});

async function search() {
  const list = document.getElementById("search-results");
  const q = document.getElementById("search-q").value.trim();
  if (!q) return;
  let found = [];
  try {
    found = (await getJson(`planning/search?q=${encodeURIComponent(q)}`)).parcels;
  } catch {
    showStatus(T.search_failed);
  }
  if (!found.length) {
    list.replaceChildren(el("li", { className: "muted" }, T.search_none));
    return;
  }
  list.replaceChildren(...found.map((p) => {
    const where = [p.commune_name, `${T.sheet_no} ${p.sheet_no}, ${T.parcel_no} ${p.parcel_no}`]
      .filter(Boolean).join(" · ");
    const button = el("button", { type: "button" },
      el("span", { className: "address" }, p.address || T.no_address),
      el("span", { className: "muted" }, where),
      p.address && p.illustrative ? illustrativeBadge() : null);
    button.addEventListener("click", () => { window.dothiPlanning = chooseParcel(p); });
    return el("li", {}, button);
  }));
}

// Up and down move between the results; Home/End to the first and last.
document.getElementById("search-results").addEventListener("keydown", (event) => {
  const buttons = [...document.querySelectorAll("#search-results button")];
  const at = buttons.indexOf(document.activeElement);
  if (at < 0) return;
  const to = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: buttons.length - 1 }[event.key];
  if (to === undefined) return;
  event.preventDefault();
  buttons[Math.max(0, Math.min(buttons.length - 1, to))].focus();
});

async function chooseParcel(p) {
  const query = `commune=${p.commune_code}&sheet_no=${p.sheet_no}&parcel_no=${p.parcel_no}`;
  chosenParcel = p.parcel_uid;
  await showAnswer(query);
  const item = await getJson(`ogcapi/collections/land_parcel/items/${encodeURIComponent(p.parcel_uid)}`)
    .catch(() => null);
  const ring = item?.geometry?.coordinates?.flat(Infinity);
  if (ring?.length) {
    const xs = ring.filter((_, i) => i % 2 === 0);
    const ys = ring.filter((_, i) => i % 2 === 1);
    map.fitBounds([[Math.min(...xs), Math.min(...ys)], [Math.max(...xs), Math.max(...ys)]],
      { padding: 80, maxZoom: 18, animate: false });
  }
  writeHash();
}

// A shared link's parcel: its answer, where the view already is.
async function openParcel(uid) {
  const item = await getJson(`ogcapi/collections/land_parcel/items/${encodeURIComponent(uid)}`)
    .catch(() => null);
  const p = item?.properties;
  if (!p) return;
  window.dothiPlanning = showAnswer(
    `commune=${p.commune_code}&sheet_no=${p.sheet_no}&parcel_no=${p.parcel_no}`);
  await window.dothiPlanning;
}

// -- Drafts, sign-in -------------------------------------------------------------------------

document.getElementById("show-drafts").addEventListener("change", () => {
  const zones = shown.get("planning_zone");
  if (zones) setVisible(zones, zones.visible !== false);
  renderLegend();
});

document.getElementById("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const { ok, status, doc } = await signIn(document.getElementById("login-name"),
    document.getElementById("login-password"));
  if (!ok) {
    showStatus((LANG === "en" ? doc.description : doc.description_vi) || `HTTP ${status}`);
    return;
  }
  token = doc.token;
  window.dothiReady = loadLayers().then(() => showStatus(`${T.signed_in}: ${doc.account}`));
});

document.getElementById("token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  token = document.getElementById("token").value.trim();
  window.dothiReady = loadLayers();
});

window.dothiReady = loadLayers();
// The sensors (when the server has them) once the layers are drawn, so that their dots go
// on top.
window.dothiSensorsStarted = config.sensors
  ? window.dothiReady.finally(() => startSensors(map, { T, LANG, fmt, showStatus }))
  : Promise.resolve();
