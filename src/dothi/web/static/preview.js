// Map preview of the OGC API pages: the feature(s) of the page, drawn by MapLibre GL JS
// from GeoJSON — carried by the page as inert JSON (items, item) or read from the
// collection's items (collection). No basemap: the preview works offline.
import * as maplibregl from "./vendor/maplibre-gl/maplibre-gl.mjs";

const data = JSON.parse(document.getElementById("preview-data").textContent);
const isType = (...types) => ["in", ["geometry-type"], ["literal", types]];

function extend(box, coords) {
  if (typeof coords[0] === "number") {
    box[0] = Math.min(box[0], coords[0]);
    box[1] = Math.min(box[1], coords[1]);
    box[2] = Math.max(box[2], coords[0]);
    box[3] = Math.max(box[3], coords[1]);
  } else {
    for (const c of coords) extend(box, c);
  }
  return box;
}

function boundsOf(collection) {
  const box = [Infinity, Infinity, -Infinity, -Infinity];
  for (const f of collection.features) {
    const g = f.geometry;
    if (g?.coordinates) extend(box, g.coordinates);
    else if (g?.geometries) for (const part of g.geometries) extend(box, part.coordinates);
  }
  return Number.isFinite(box[0]) ? box : null;
}

async function features() {
  if (data.features) return data.features;
  const response = await fetch(data.url, { headers: { Accept: "application/geo+json" } });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response.json();
}

const map = new maplibregl.Map({
  container: "preview",
  style: {
    version: 8,
    sources: {},
    layers: [{ id: "background", type: "background", paint: { "background-color": "#eef1f4" } }],
  },
  center: [106.7, 16],
  zoom: 4,
  attributionControl: false,
});
map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
window.dothiPreview = map;

window.dothiPreviewReady = (async () => {
  await map.once("load");
  const collection = await features();
  map.addSource("features", { type: "geojson", data: collection });
  map.addLayer({
    id: "fill", type: "fill", source: "features", filter: isType("Polygon", "MultiPolygon"),
    paint: { "fill-color": "#2f5fa7", "fill-opacity": 0.25 },
  });
  map.addLayer({
    id: "line", type: "line", source: "features",
    filter: isType("Polygon", "MultiPolygon", "LineString", "MultiLineString"),
    paint: { "line-color": "#2f5fa7", "line-width": 2 },
  });
  map.addLayer({
    id: "circle", type: "circle", source: "features", filter: isType("Point", "MultiPoint"),
    paint: { "circle-color": "#2f5fa7", "circle-radius": 5, "circle-stroke-color": "#fff",
      "circle-stroke-width": 1 },
  });
  const box = boundsOf(collection) ?? data.bbox;
  if (box) {
    map.fitBounds([[box[0], box[1]], [box[2], box[3]]], { padding: 30, maxZoom: 18, duration: 0 });
  }
  await new Promise((resolve) => { map.once("idle", resolve); map.triggerRepaint(); });
  return collection.features.length;
})().catch((error) => {
  // The page stays readable without its preview (e.g. no MapLibre, or a layer not readable).
  console.warn("preview:", error);
  document.getElementById("preview").hidden = true;
  return 0;
});
