// Dothi's map page: every layer the visitor may read, drawn by MapLibre GL JS from Dothi's
// own vector tiles, with a layer list and a popup of the clicked feature's properties.
// Titles, property values and attributions are user data: they reach the page as text
// (textContent, text nodes) only, never as HTML.
import * as maplibregl from "./vendor/maplibre-gl/maplibre-gl.mjs";
import { signIn } from "./signin.js";

const config = JSON.parse(document.getElementById("dothi-config").textContent);
// Colours that stay apart from each other, given to the layers in the order they come.
const PALETTE = [
  "#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4",
  "#f032e6", "#9a6324", "#469990", "#800000", "#808000", "#000075",
];
const isType = (...types) => ["in", ["geometry-type"], ["literal", types]];
const POLYGONS = isType("Polygon", "MultiPolygon");
const LINES = isType("LineString", "MultiLineString");
const POINTS = isType("Point", "MultiPoint");

let token = "";
// Layers on the map by collection id: {collection, colour, mapLayers}.
const shown = new Map();
let popup = null;

const api = (path) => new URL(path, document.baseURI);
const sameOrigin = (url) => new URL(url, document.baseURI).origin === location.origin;
// new URL() would percent-encode the {z}/{x}/{y} of a tile template, so only prefix it.
const absolute = (url) => (url.startsWith("/") ? location.origin + url : url);
const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

function showStatus(vi, en) {
  const status = document.getElementById("status");
  status.replaceChildren(vi ? `${vi} ` : "", vi ? el("span", { lang: "en" }, `/ ${en}`) : "");
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
    sources: {},
    layers: [{ id: "background", type: "background", paint: { "background-color": "#eef1f4" } }],
  };
  if (config.basemap?.kind === "raster") {
    style.sources.basemap = { type: "raster", tiles: [absolute(config.basemap.url)], tileSize: 256 };
    style.layers.push({ id: "basemap", type: "raster", source: "basemap" });
  }
  return style;
}

const map = new maplibregl.Map({
  container: "map",
  style: config.basemap?.kind === "style" ? absolute(config.basemap.url) : baseStyle(),
  center: [106.7, 16],
  zoom: 4,
  // Starts open (the licences ask for it) and folds away once the map is moved.
  attributionControl: { compact: true },
  // The token goes to Dothi only, never to a basemap server.
  transformRequest: (url) =>
    token && sameOrigin(url) ? { url, headers: { Authorization: `Bearer ${token}` } } : { url },
});
map.addControl(new maplibregl.NavigationControl(), "top-right");
// Top left: the attribution, open at first, takes the bottom of the map.
map.addControl(new maplibregl.ScaleControl(), "top-left");
map.on("error", (event) => {
  console.error(event.error);
  showStatus("Lỗi khi tải dữ liệu bản đồ.", "Error while loading map data.");
});
const styleReady = new Promise((resolve) => map.once("load", resolve));
// For tests and for the browser console.
window.dothiMap = map;

const area = (b) => (b ? (b[2] - b[0]) * (b[3] - b[1]) : 0);
const bboxOf = (collection) => collection.extent?.spatial?.bbox?.[0];

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
  entry.mapLayers = [`${source}:fill`, `${source}:line`, `${source}:circle`];
  return [
    { ...common, id: entry.mapLayers[0], type: "fill", filter: POLYGONS,
      paint: { "fill-color": entry.colour, "fill-opacity": 0.18 } },
    { ...common, id: entry.mapLayers[1], type: "line", filter: ["!", POINTS],
      paint: { "line-color": entry.colour, "line-width": ["case", LINES, 2, 1] } },
    { ...common, id: entry.mapLayers[2], type: "circle", filter: POINTS,
      paint: {
        "circle-color": entry.colour,
        "circle-radius": ["interpolate", ["linear"], ["zoom"], 8, 3, 16, 6],
        "circle-stroke-color": "#ffffff",
        "circle-stroke-width": 1,
      } },
  ];
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
  for (const id of entry.mapLayers) map.setLayoutProperty(id, "visibility", visible ? "visible" : "none");
}

function renderList(entries) {
  const list = document.getElementById("layers");
  if (!entries.length) {
    list.replaceChildren(el("li", { className: "muted" }, "Chưa có lớp nào để xem. ",
      el("span", { lang: "en" }, "/ No layer to show yet.")));
    return;
  }
  list.replaceChildren(...entries.map((entry) => {
    const c = entry.collection;
    const box = el("input", { type: "checkbox", checked: Boolean(entry.tilejson), disabled: !entry.tilejson });
    box.addEventListener("change", () => setVisible(entry, box.checked));
    const swatch = el("span", { className: "swatch" });
    swatch.style.background = entry.colour;
    const names = el("span", { className: "names" }, c.title || c.id, " ",
      c["x-title-en"] ? el("span", { lang: "en" }, `/ ${c["x-title-en"]}`) : null);
    const item = el("li", entry.tilejson ? {} : {
      className: "unavailable", title: "Không có ô vector / No vector tiles",
    }, el("label", {}, box, swatch, names));
    item.dataset.layer = c.id;
    return item;
  }));
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
  clearMap();
  showStatus("", "");
  let collections;
  try {
    collections = (await getJson("ogcapi/collections")).collections;
  } catch (error) {
    console.warn(error);
    showStatus("Không tải được danh sách lớp.", "Could not load the layer list.");
    renderList([]);
    return;
  }
  const entries = collections.map((collection, i) => ({
    collection, colour: PALETTE[i % PALETTE.length], mapLayers: [], tilejson: null,
  }));
  await Promise.all(entries.map(async (entry) => {
    const path = `ogcapi/collections/${encodeURIComponent(entry.collection.id)}/tiles/WebMercatorQuad`;
    entry.tilejson = await getJson(path).catch(() => null);
  }));
  // Largest extents first, at the bottom, so that provinces do not cover parcels; all
  // fills under all outlines, all points on top.
  const drawn = entries.filter((e) => e.tilejson)
    .sort((a, b) => area(bboxOf(b.collection)) - area(bboxOf(a.collection)));
  const styles = drawn.map(addToMap);
  for (let kind = 0; kind < 3; kind += 1) for (const s of styles) map.addLayer(s[kind]);
  for (const entry of drawn) shown.set(entry.collection.id, entry);
  renderList(entries);
  fit(entries);
}

function visibleLayerIds() {
  return [...shown.values()].flatMap((e) => e.mapLayers)
    .filter((id) => map.getLayoutProperty(id, "visibility") !== "none");
}

function describe(feature) {
  const c = shown.get(feature.sourceLayer).collection;
  const props = feature.properties;
  const fid = props.fid ?? feature.id;
  const rows = Object.entries(props).filter(([key]) => key !== "fid").map(([key, value]) =>
    el("tr", {}, el("th", { scope: "row" }, key), el("td", {}, String(value))));
  const record = api(`ogcapi/collections/${encodeURIComponent(c.id)}/items/${encodeURIComponent(fid)}?f=html`);
  return el("div", {},
    el("h3", {}, c.title || c.id, c["x-title-en"] ? el("small", { lang: "en" }, c["x-title-en"]) : null),
    el("div", { className: "props" }, el("table", {}, el("tbody", {}, ...rows))),
    fid === undefined ? null : el("p", {}, el("a", { href: record.href, target: "_blank", rel: "noopener" },
      "Xem bản ghi ", el("span", { lang: "en" }, "/ View record"))));
}

// Points are small: a few pixels around the click count as a hit.
const around = ({ x, y }) => [[x - 4, y - 4], [x + 4, y + 4]];

// The planning answer for a clicked place (tra cứu quy hoạch), drawn as text nodes only.
const fmt = (n, digits = 1) =>
  n === null || n === undefined ? "–" : Number(n).toLocaleString("vi-VN", { maximumFractionDigits: digits });

function planningCard(doc, lookupQuery) {
  const rows = [];
  const line = (label, value) => rows.push(el("p", {}, el("strong", {}, `${label}: `), value));
  if (doc.commune) line("Xã/phường / Commune", doc.commune.name);
  if (doc.parcel) {
    const p = doc.parcel;
    line("Thửa / Parcel", `${p.parcel_no} – tờ / sheet ${p.sheet_no} – ${fmt(doc.parcel_area_m2)} m²`);
  }
  for (const z of doc.zones) {
    const r = z.rules;
    const share = z.share === null ? "" : ` (${fmt(z.share * 100, 0)} %)`;
    line(`Ô quy hoạch / Zone ${z.properties.zone_code ?? z.zone_uid}${share}`,
      `${z.properties.land_use_function ?? ""} · mật độ / coverage ${fmt(r.max_coverage_pct, 0)} % · ` +
      `tầng / floors ≤ ${fmt(r.max_floors, 0)} · HSSDĐ / FAR ≤ ${fmt(r.max_far)}`);
  }
  for (const z of doc.proposed_zones) {
    line("Đang lấy ý kiến / In consultation", z.properties.zone_code ?? z.zone_uid);
    if (z.properties.plan_id && lookupQuery.startsWith("lon=")) {
      const href = api(`consultation?plan=${encodeURIComponent(z.properties.plan_id)}&${lookupQuery}`).href;
      rows.push(el("p", {}, el("a", { className: "comment-here", href },
        "Góp ý về vị trí này / Comment on this place")));
    }
  }
  for (const c of doc.constraints) {
    line(`Ràng buộc / Constraint ${c.kind}`, c.area_m2 === null ? "" : `${fmt(c.area_m2)} m²`);
  }
  if (doc.envelope) {
    line("Tối đa / At most", `chiếm đất / footprint ${fmt(doc.envelope.max_footprint_m2)} m², ` +
      `sàn / floor area ${fmt(doc.envelope.max_floor_area_m2)} m²`);
  }
  if (!doc.zones.length && !doc.parcel) line("Quy hoạch / Plan", "không có dữ liệu / no data");
  if (doc.parcel) {
    rows.push(el("p", {}, el("a", { id: "planning-sheet", href: api(`planning/sheet?${lookupQuery}`).href,
      target: "_blank", rel: "noopener" }, "Tải phiếu thông tin quy hoạch (PDF) / Planning sheet (PDF)")));
  }
  rows.push(el("p", { className: "muted" }, `${doc.disclaimer.vi} / ${doc.disclaimer.en}`));
  return rows;
}

async function showPlanning(lngLat) {
  await showAnswer(`lon=${lngLat.lng.toFixed(7)}&lat=${lngLat.lat.toFixed(7)}`);
}

async function showAnswer(query) {
  const card = document.getElementById("planning");
  try {
    const doc = await getJson(`planning/lookup?${query}`);
    card.replaceChildren(el("h2", {}, "Quy hoạch tại điểm này ", el("span", { lang: "en" }, "/ Planning here")),
      ...planningCard(doc, query));
  } catch {
    card.replaceChildren(el("p", { className: "muted" },
      "Không tra cứu được quy hoạch tại điểm này. / No planning answer for this place."));
  }
}

map.on("click", (event) => {
  window.dothiPlanning = showPlanning(event.lngLat);
  popup?.remove();
  const layers = visibleLayerIds();
  const hits = layers.length ? map.queryRenderedFeatures(around(event.point), { layers }) : [];
  if (!hits.length) return;
  popup = new maplibregl.Popup({ maxWidth: "24rem", className: "popup" })
    .setLngLat(event.lngLat).setDOMContent(describe(hits[0])).addTo(map);
});

map.on("mousemove", (event) => {
  const layers = visibleLayerIds();
  const hit = layers.length && map.queryRenderedFeatures(around(event.point), { layers }).length;
  map.getCanvas().style.cursor = hit ? "pointer" : "";
});

// Sign in with a password: the one-day token stays in this page only (no storage).
// Address search: the matching parcels; choosing one shows its answer and its place.
document.getElementById("search-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const list = document.getElementById("search-results");
  const q = document.getElementById("search-q").value.trim();
  if (!q) return;
  let found = [];
  try {
    found = (await getJson(`planning/search?q=${encodeURIComponent(q)}`)).parcels;
  } catch {
    showStatus("Không tìm được.", "The search failed.");
  }
  if (!found.length) {
    list.replaceChildren(el("li", { className: "muted" }, "Không thấy thửa nào / no parcel found"));
    return;
  }
  list.replaceChildren(...found.map((p) => el("li", {}, el("button", {
    type: "button",
    onclick: () => { window.dothiPlanning = chooseParcel(p); },
  }, `${p.address} – tờ ${p.sheet_no}, thửa ${p.parcel_no}`))));
});

async function chooseParcel(p) {
  const query = `commune=${p.commune_code}&sheet_no=${p.sheet_no}&parcel_no=${p.parcel_no}`;
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
}

document.getElementById("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const { ok, status, doc } = await signIn(document.getElementById("login-name"),
    document.getElementById("login-password"));
  if (!ok) {
    showStatus(doc.description_vi || `Lỗi ${status}`, doc.description || "");
    return;
  }
  token = doc.token;
  window.dothiReady = loadLayers().then(() =>
    showStatus(`Đã đăng nhập: ${doc.account} (${doc.role}).`, `Signed in: ${doc.account}.`),
  );
});

document.getElementById("token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  token = document.getElementById("token").value.trim();
  window.dothiReady = loadLayers();
});

window.dothiReady = loadLayers();
