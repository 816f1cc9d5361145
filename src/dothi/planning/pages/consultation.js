// The consultation page: plans open for comment, what a draft changes (a table and a small
// map, before and after), the plan's documents, the comment form, published comments with
// their answers, and the synthesis once a consultation has closed. One language at a time:
// the one <html lang> names (the server takes it from the request). Everything people
// wrote reaches the page as text (textContent) only, never as HTML.
import { signIn } from "./signin.js";

const lang = document.documentElement.lang === "en" ? "en" : "vi";
const api = (path) => new URL(path, document.baseURI);
const params = new URLSearchParams(location.search);
const MAX_FILES = 3;
const MAX_BYTES = 5 * 2 ** 20;
const MAX_DOCUMENT_BYTES = 20 * 2 ** 20;
const ACCEPTED = ["image/jpeg", "image/png", "application/pdf"];
// Zone codes sort as people read them: BT-2 before BT-11.
const byCode = new Intl.Collator(lang, { numeric: true, sensitivity: "base" }).compare;

// The page's own words come from the server in its language (data-en in the HTML); the
// script's own are written w(Vietnamese, English).
const w = (vi, en) => (lang === "en" ? en : vi);
// A label the API gives in both languages: {vi, en}.
const pick = (label) => (label ? label[lang] ?? label.vi : "");
const fileTypes = w("ảnh JPG, PNG hoặc tệp PDF", "JPG or PNG photos, or PDF files");
const DOCUMENT_KINDS = {
  report: ["Thuyết minh", "Explanatory report"],
  drawing: ["Bản vẽ", "Drawing"],
  decision: ["Quyết định, tờ trình", "Decision or submission"],
  other: ["Tài liệu khác", "Other document"],
};

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

// The language switch and the kinds of documents, in the page's language.
function setUpPage() {
  // The switch to the other language comes back to this very page (plan, zone, place).
  const other = lang === "en" ? "vi" : "en";
  const link = document.getElementById("language");
  link.href = api(`language/${other}?next=${encodeURIComponent(location.pathname + location.search)}`).href;
  link.lang = other;
  link.textContent = other === "en" ? "English" : "Tiếng Việt";
  const kinds = document.getElementById("document-kind");
  kinds.replaceChildren(...Object.entries(DOCUMENT_KINDS).map(([id, words]) =>
    el("option", { value: id }, w(...words))));
}

function show(id, kind, text) {
  const status = document.getElementById(id);
  status.className = kind;
  status.textContent = text;
}
const say = (kind, vi, en) => show("form-status", kind, w(vi, en));
const note = (kind, vi, en) => show("status", kind, w(vi, en));
const failure = (doc, status) => (lang === "en" ? doc.description : doc.description_vi)
  ?? w(`Lỗi ${status}`, `Error ${status}`);

// Each browser is one person for the comment limits, even when fifty people share the
// Wi-Fi of a public meeting: a random id, kept by the browser, sent with each comment.
function browserSession() {
  const fresh = () => [...crypto.getRandomValues(new Uint8Array(16))]
    .map((b) => b.toString(16).padStart(2, "0")).join("");
  try {
    let id = localStorage.getItem("dothi_session");
    if (!id) {
      id = fresh();
      localStorage.setItem("dothi_session", id);
    }
    return id;
  } catch {
    return fresh(); // storage refused: one id for this page
  }
}
const session = browserSession();

function headers(extra = {}) {
  const out = { Accept: "application/json", ...extra };
  if (token) out.Authorization = `Bearer ${token}`;
  return out;
}

async function getJson(path) {
  const response = await fetch(api(path), { headers: headers() });
  if (!response.ok) throw new Error(`HTTP ${response.status} ${path}`);
  return response.json();
}

// A moderation or answer request of an official; the page is redrawn after it.
async function act(path, method, body) {
  const response = await fetch(api(path), {
    method, headers: headers({ "Content-Type": "application/json" }), body: JSON.stringify(body),
  });
  const doc = await response.json().catch(() => ({}));
  if (!response.ok) note("error", failure(doc, response.status), failure(doc, response.status));
  else note("ok", "Đã lưu.", "Saved.");
  await showComments(current);
  window.dothiActed = response.status;
}

// Dates of a period are Viet Nam dates; compare them with today's date there.
const todayInVietnam = () => new Date(Date.now() + 7 * 3600e3).toISOString().slice(0, 10);
const isOpen = (plan) => plan.status === "consultation" && plan.consultation_from <= todayInVietnam()
  && todayInVietnam() <= plan.consultation_to;
const showDate = (iso) => (iso ? iso.slice(0, 10).split("-").reverse().join("/") : "");
const planName = (plan) => pick(plan.name_label) || plan.name;

let current = null;
// The chosen plan's zones: GeoJSON features by zone id, in the natural order of codes.
let zones = [];
const zoneCodes = new Map();
let changes = null;
let changesMap = null;
let token = "";
let staff = false;

function planButton(plan) {
  const state = isOpen(plan) ? w("đang lấy ý kiến", "open for comments") : w("đã kết thúc", "closed");
  const button = el("button", { type: "button" },
    el("strong", {}, planName(plan)), el("br"),
    el("span", { className: "muted" },
      `${showDate(plan.consultation_from)} – ${showDate(plan.consultation_to)} · ${state}`));
  button.dataset.plan = plan.id;
  button.addEventListener("click", () => choose(plan, null));
  return el("li", {}, button);
}

function moderationTools(c) {
  const reason = el("input", { placeholder: w("Lý do từ chối", "Reason for rejecting"), className: "reason" });
  const publish = el("button", { type: "button", className: "publish" }, w("Công bố", "Publish"));
  const reject = el("button", { type: "button", className: "reject" }, w("Từ chối", "Reject"));
  const path = `planning/comments/${c.id}/moderation`;
  publish.addEventListener("click", () => act(path, "POST", { decision: "published" }));
  reject.addEventListener("click", () => act(path, "POST", { decision: "rejected", note: reason.value }));
  return el("div", { className: "tools" }, reason, publish, reject);
}

function answerTools(c) {
  const text = el("textarea", { rows: 2, className: "answer-text", value: c.answer ?? "",
    placeholder: w("Trả lời chính thức", "Official answer") });
  const send = el("button", { type: "button", className: "send-answer" }, w("Trả lời", "Answer"));
  send.addEventListener("click", () => act(`planning/comments/${c.id}/answer`, "PUT", { answer: text.value }));
  return el("div", { className: "tools" }, text, send);
}

function commentItem(c) {
  const where = c.zone_uid ? ` · ${w("Ô", "Zone")} ${zoneCodes.get(c.zone_uid) ?? c.zone_uid}` : "";
  const item = el("li", {},
    el("div", { className: "meta" }, `#${c.id} · ${showDate(c.created_at)} · ${pick(c.topic_label)}${where}`),
    el("p", {}, c.body));
  for (const f of c.attachments) {
    const href = api(`planning/comments/${c.id}/attachments/${f.id}`).href;
    // Words, not an emoji: a phone without an emoji font shows a box.
    item.append(el("div", {}, `${w("Tệp đính kèm", "Attachment")}: `, el("a", { href }, f.name)));
  }
  if (c.answer) {
    item.append(el("div", { className: "answer" },
      el("strong", {}, `${w("Trả lời", "Answer")}: `), c.answer,
      el("div", { className: "meta" }, showDate(c.answered_at))));
  }
  if (staff) item.append(c.status === "pending" ? moderationTools(c) : answerTools(c));
  return item;
}

async function showComments(plan) {
  const list = document.getElementById("comments");
  const base = `planning/plans/${encodeURIComponent(plan.id)}/comments?limit=500`;
  document.getElementById("moderation").hidden = !staff;
  if (staff) {
    const pending = await getJson(`${base}&status=pending`);
    document.getElementById("pending").replaceChildren(...pending.comments.map(commentItem));
  }
  const doc = await getJson(staff ? `${base}&status=published` : base);
  list.replaceChildren(...doc.comments.map(commentItem));
  if (!doc.comments.length) {
    list.replaceChildren(el("li", { className: "muted" },
      w("Chưa có góp ý nào được công bố.", "No published comment yet.")));
  }
}

// -- What the draft changes ----------------------------------------------------------------

const zoneLink = (code) => api(`consultation?plan=${encodeURIComponent(current.id)}&zone=${encodeURIComponent(code)}`).href;

function valueLines(values, side) {
  return values.map((f) => {
    const line = el("div", {}, `${pick(f.title)}: ${pick(f[`${side}_text`])}`);
    if (side === "after" && f.difference !== null && f.difference !== undefined) {
      const n = Math.abs(f.difference).toLocaleString(lang === "en" ? "en-US" : "vi-VN",
        { maximumFractionDigits: 2 });
      line.append(" ", el("span", { className: "diff" }, `(${f.difference > 0 ? "+" : "−"}${n})`));
    }
    return line;
  });
}

function changeRow(z) {
  const row = el("tr", { id: `change-${z.zone_code}` });
  row.dataset.zone = z.zone_code;
  const none = () => [el("div", {}, "–")];
  const what = () => [el("div", {}, pick(z.summary))];
  const before = z.change === "changed" ? valueLines(z.fields, "before") : z.change === "added" ? none() : what();
  const after = z.change === "changed" ? valueLines(z.fields, "after") : z.change === "added" ? what() : none();
  row.append(
    el("td", {}, el("a", { href: zoneLink(z.zone_code), className: "zone-link" }, z.zone_code)),
    el("td", {}, pick(z.change_label)),
    el("td", {}, ...before),
    el("td", {}, ...after));
  return row;
}

function showChanges(doc) {
  const summary = document.getElementById("changes-summary");
  const table = document.getElementById("changes-table");
  if (!doc.base) {
    summary.textContent = w("Đồ án này không thay thế đồ án nào: mọi ô đều mới.",
      "This plan replaces no other: every zone is new.");
  } else {
    const n = doc.counts;
    const zonesEn = (k) => `${k} ${k === 1 ? "zone" : "zones"}`;
    summary.textContent = w(
      `So với ${planName(doc.base)} (${pick(doc.base.status_label)}): ${n.changed} ô điều chỉnh, `
        + `${n.added} ô mới, ${n.removed} ô bỏ, ${n.unchanged} ô giữ nguyên, trên ${n.zones} ô của dự thảo.`,
      `Against ${planName(doc.base)} (${pick(doc.base.status_label)}): ${zonesEn(n.changed)} changed, `
        + `${n.added} added, ${n.removed} removed, ${n.unchanged} unchanged, of the draft's ${zonesEn(n.zones)}.`);
  }
  table.tBodies[0].replaceChildren(...doc.zones.map(changeRow));
  table.hidden = doc.zones.length === 0;
}

// -- The small map: zones before and after, the chosen zone, the place --------------------

function bounds(features) {
  let box = null;
  const visit = (c) => {
    if (typeof c[0] === "number") {
      box = box ? [Math.min(box[0], c[0]), Math.min(box[1], c[1]), Math.max(box[2], c[0]), Math.max(box[3], c[1])]
        : [c[0], c[1], c[0], c[1]];
    } else c.forEach(visit);
  };
  for (const f of features) if (f.geometry) visit(f.geometry.coordinates);
  return box;
}

// Ray casting, enough for zones drawn as (multi)polygons in lon/lat.
function inRing(ring, [x, y]) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}
function contains(geometry, point) {
  const polygons = geometry.type === "Polygon" ? [geometry.coordinates]
    : geometry.type === "MultiPolygon" ? geometry.coordinates : [];
  return polygons.some(([outer, ...holes]) => inRing(outer, point) && !holes.some((h) => inRing(h, point)));
}

const collection = (features) => ({ type: "FeatureCollection", features });

function placePoint() {
  if (params.get("plan") !== current?.id || !params.has("lon") || !params.has("lat")) return null;
  const point = [Number(params.get("lon")), Number(params.get("lat"))];
  return point.every(Number.isFinite) ? point : null;
}

function mapData(changesGeo) {
  const chosen = zones.filter((f) => f.id === document.getElementById("zone").value);
  const point = placePoint();
  return {
    zones: collection(zones),
    before: collection(changesGeo.features.filter((f) => f.properties.side === "before")),
    after: collection(changesGeo.features.filter((f) => f.properties.side === "after")),
    chosen: collection(chosen),
    place: collection(point ? [{ type: "Feature", geometry: { type: "Point", coordinates: point }, properties: {} }] : []),
  };
}

function fitMap() {
  if (!changesMap) return;
  const data = mapData(changesMap.geo);
  const focus = data.chosen.features.length ? data.chosen.features
    : data.after.features.length || data.before.features.length
      ? [...data.after.features, ...data.before.features] : zones;
  const box = bounds([...focus, ...data.place.features]);
  if (box) changesMap.map.fitBounds([[box[0], box[1]], [box[2], box[3]]], { padding: 30, duration: 0, maxZoom: 17 });
}

function refreshMap() {
  if (!changesMap) return;
  const data = mapData(changesMap.geo);
  for (const [name, value] of Object.entries(data)) changesMap.map.getSource(name).setData(value);
  fitMap();
}

async function drawMap(changesGeo) {
  const box = document.getElementById("changes-map");
  const legend = document.getElementById("map-legend");
  let maplibregl;
  try {
    maplibregl = await import("./vendor/maplibre-gl/maplibre-gl.mjs");
  } catch {
    box.hidden = true; // the table says it all when the map library is not installed
    legend.hidden = true;
    return;
  }
  box.hidden = false;
  box.setAttribute("aria-label", w("Bản đồ các ô điều chỉnh", "Map of the zones the draft changes"));
  legend.hidden = false;
  legend.replaceChildren(
    el("span", { className: "legend-swatch after" }), w("dự thảo đề xuất", "proposed by the draft"),
    el("span", { className: "legend-swatch before" }), w("đang có hiệu lực", "in force now"));
  if (placePoint()) {
    legend.append(el("span", { className: "legend-swatch place" }), w("vị trí đã chọn", "the place chosen"));
  }
  if (changesMap) {
    changesMap.geo = changesGeo;
    refreshMap();
    return;
  }
  let map;
  try {
    map = new maplibregl.Map({
      container: box,
      style: { version: 8, sources: {}, layers: [{ id: "bg", type: "background", paint: { "background-color": "#eef1f4" } }] },
      center: [106.7, 10.77],
      zoom: 13,
      attributionControl: false,
    });
  } catch {
    box.hidden = true; // no WebGL here: the table says it all
    legend.hidden = true;
    return;
  }
  changesMap = { map, geo: changesGeo };
  window.dothiConsultMap = map;
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
  await new Promise((resolve) => map.on("load", resolve));
  const data = mapData(changesGeo);
  for (const [name, value] of Object.entries(data)) map.addSource(name, { type: "geojson", data: value });
  map.addLayer({ id: "zones-line", type: "line", source: "zones", paint: { "line-color": "#9aa5b1", "line-width": 0.8 } });
  map.addLayer({ id: "after-fill", type: "fill", source: "after", paint: { "fill-color": "#d65c00", "fill-opacity": 0.35 } });
  map.addLayer({ id: "after-line", type: "line", source: "after", paint: { "line-color": "#d65c00", "line-width": 1.5 } });
  map.addLayer({ id: "before-line", type: "line", source: "before",
    paint: { "line-color": "#2f5fa7", "line-width": 2, "line-dasharray": [2, 2] } });
  map.addLayer({ id: "chosen-line", type: "line", source: "chosen", paint: { "line-color": "#111", "line-width": 3 } });
  map.addLayer({ id: "place-dot", type: "circle", source: "place",
    paint: { "circle-radius": 7, "circle-color": "#c00", "circle-stroke-color": "#fff", "circle-stroke-width": 2 } });
  // A click on a zone chooses it for the comment.
  map.on("click", (event) => {
    const hit = zones.find((f) => contains(f.geometry, [event.lngLat.lng, event.lngLat.lat]));
    if (hit) chooseZone(hit.id);
  });
  fitMap();
}

function chooseZone(id) {
  const select = document.getElementById("zone");
  select.value = zoneCodes.has(id) ? id : "";
  const code = zoneCodes.get(select.value);
  const link = document.getElementById("zone-link");
  link.hidden = !code;
  if (code) {
    link.replaceChildren(`${w("Liên kết đến ô này", "Link to this zone")}: `,
      el("a", { href: zoneLink(code), id: "zone-href" }, `${w("Ô", "Zone")} ${code}`));
  }
  for (const row of document.querySelectorAll("#changes-table tr.chosen")) row.classList.remove("chosen");
  if (code) document.getElementById(`change-${code}`)?.classList.add("chosen");
  refreshMap();
}

// -- Documents -----------------------------------------------------------------------------

async function showDocuments(plan) {
  const list = document.getElementById("document-list");
  const doc = await getJson(`planning/plans/${encodeURIComponent(plan.id)}/documents`);
  const items = doc.documents.map((d) => el("li", {},
    el("a", { href: api(`planning/plans/${encodeURIComponent(plan.id)}/documents/${d.id}`).href }, d.title),
    ` — ${pick(d.kind_label)}, ${d.name} (${(d.size / 2 ** 20).toLocaleString(lang === "en" ? "en-US" : "vi-VN",
      { maximumFractionDigits: 1 })} MiB)`));
  for (const link of doc.links ?? []) items.push(el("li", {}, el("a", { href: link.url, rel: "noopener" }, link.title ?? link.url)));
  list.replaceChildren(...items);
  if (!items.length) list.replaceChildren(el("li", { className: "muted" }, w("Chưa có tài liệu.", "No document yet.")));
  document.getElementById("document-form").hidden = !staff;
}

function readFile(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",", 2)[1]);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

// A file of another type is refused before it is sent, in the words people use.
function refused(files, limit) {
  const wrong = files.find((f) => !ACCEPTED.includes(f.type));
  if (wrong) {
    return w(`Tệp «${wrong.name}» không được nhận: chỉ nhận ${fileTypes}.`,
      `The file '${wrong.name}' is not accepted: only ${fileTypes}.`);
  }
  const big = files.find((f) => f.size > limit);
  if (big) {
    const mib = limit / 2 ** 20;
    return w(`Tệp «${big.name}» quá lớn: mỗi tệp tối đa ${mib} MiB.`, `The file '${big.name}' is too large: at most ${mib} MiB each.`);
  }
  return null;
}

async function uploadDocument(event) {
  event.preventDefault();
  const [file] = document.getElementById("document-file").files;
  const title = document.getElementById("document-title").value.trim();
  if (!file || !title) {
    show("document-status", "error", w("Cần tiêu đề và tệp.", "A title and a file are needed."));
    return;
  }
  const problem = refused([file], MAX_DOCUMENT_BYTES);
  if (problem) {
    show("document-status", "error", problem);
    return;
  }
  const body = { title, kind: document.getElementById("document-kind").value, name: file.name,
    media_type: file.type, content_base64: await readFile(file) };
  const response = await fetch(api(`planning/plans/${encodeURIComponent(current.id)}/documents`), {
    method: "POST", headers: headers({ "Content-Type": "application/json" }), body: JSON.stringify(body),
  });
  const doc = await response.json().catch(() => ({}));
  window.dothiUploaded = response.status;
  if (response.ok) {
    document.getElementById("document-form").reset();
    show("document-status", "ok", w("Đã thêm tài liệu.", "Document added."));
    await showDocuments(current);
  } else {
    show("document-status", "error", failure(doc, response.status));
  }
}

// -- The chosen plan -----------------------------------------------------------------------

async function choose(plan, wantedZone) {
  current = plan;
  for (const b of document.querySelectorAll("#plans button")) {
    b.setAttribute("aria-pressed", String(b.dataset.plan === plan.id));
  }
  document.getElementById("plan").hidden = false;
  document.getElementById("plan-name").textContent = planName(plan);
  const status = document.getElementById("plan-status");
  status.textContent = pick(plan.status_label);
  status.className = plan.in_force ? "status-force" : "status-draft";
  document.getElementById("plan-period").textContent =
    `${w("Thời gian lấy ý kiến", "Consultation period")}: ${showDate(plan.consultation_from)} – ${showDate(plan.consultation_to)}`;
  const open = isOpen(plan);
  document.getElementById("comment-form").hidden = !open;
  const report = document.getElementById("plan-report");
  report.hidden = open;
  if (!open) {
    const base = `planning/plans/${encodeURIComponent(plan.id)}/consultation/report`;
    report.replaceChildren(
      w("Đã kết thúc lấy ý kiến. Báo cáo tổng hợp:", "The consultation has closed. Synthesis:"), " ",
      el("a", { id: "report-pdf", href: api(`${base}?format=pdf`).href }, "PDF"), " · ",
      el("a", { href: api(`${base}?format=csv`).href }, "CSV"));
  }
  const id = encodeURIComponent(plan.id);
  const [zoneDoc, changeDoc, changeGeo] = await Promise.all([
    getJson(`planning/plans/${id}/zones`).catch(() => ({ features: [] })),
    getJson(`planning/plans/${id}/changes`).catch(() => null),
    getJson(`planning/plans/${id}/changes?f=geojson`).catch(() => ({ features: [] })),
  ]);
  zones = zoneDoc.features.sort((a, b) => byCode(a.properties.zone_code ?? a.id, b.properties.zone_code ?? b.id));
  zoneCodes.clear();
  const select = document.getElementById("zone");
  select.replaceChildren(el("option", { value: "" }, w("Toàn đồ án", "The whole plan")));
  for (const f of zones) {
    const code = f.properties.zone_code ?? f.id;
    zoneCodes.set(f.id, code);
    select.append(el("option", { value: f.id }, `${code} — ${f.properties[`function_text_${lang}`] ?? ""}`));
  }
  changes = changeDoc;
  if (changes) showChanges(changes);
  document.getElementById("changes").hidden = !changes;
  // The place the map linked from, and the zone it lies in.
  const point = placePoint();
  const place = document.getElementById("place");
  place.hidden = !point;
  let zoneId = "";
  if (point) {
    zoneId = zones.find((f) => contains(f.geometry, point))?.id ?? "";
    const fmt = (n) => n.toLocaleString(lang === "en" ? "en-US" : "vi-VN", { maximumFractionDigits: 6 });
    place.textContent = w(`Góp ý tại vị trí: ${fmt(point[1])}, ${fmt(point[0])}`,
      `Comment on the place: ${fmt(point[1])}, ${fmt(point[0])}`)
      + (zoneId ? w(` (ô ${zoneCodes.get(zoneId)})`, ` (zone ${zoneCodes.get(zoneId)})`) : "");
  }
  if (wantedZone) {
    const found = zones.find((f) => f.id === wantedZone || f.properties.zone_code === wantedZone);
    if (found) zoneId = found.id;
  }
  await drawMap(changeGeo);
  chooseZone(zoneId);
  await Promise.all([showDocuments(plan), showComments(plan)]);
  window.dothiPlan = plan.id;
}

async function send(event) {
  event.preventDefault();
  const body = document.getElementById("body").value.trim();
  if (!body) return say("error", "Hãy viết nội dung góp ý.", "Please write the comment.");
  const files = [...document.getElementById("files").files];
  if (files.length > MAX_FILES) {
    return say("error", `Tối đa ${MAX_FILES} tệp.`, `At most ${MAX_FILES} files.`);
  }
  const problem = refused(files, MAX_BYTES);
  if (problem) return show("form-status", "error", problem);
  const doc = { body, topic: document.getElementById("topic").value };
  const zone = document.getElementById("zone").value;
  const point = placePoint();
  // The place goes with the comment while it lies in the zone chosen (or none is).
  if (point && (!zone || zones.find((f) => f.id === zone && contains(f.geometry, point)))) {
    [doc.lon, doc.lat] = point;
  }
  if (zone) doc.zone_uid = zone;
  const identity = {};
  for (const key of ["name", "phone", "email"]) {
    const value = document.getElementById(`who-${key}`).value.trim();
    if (value) identity[key] = value;
  }
  if (Object.keys(identity).length) doc.identity = identity;
  if (files.length) {
    doc.attachments = await Promise.all(files.map(async (f) => ({
      name: f.name, media_type: f.type, content_base64: await readFile(f),
    })));
  }
  const response = await fetch(api(`planning/plans/${encodeURIComponent(current.id)}/comments`), {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json", "Dothi-Session": session },
    body: JSON.stringify(doc),
  });
  const answer = await response.json().catch(() => ({}));
  if (response.ok) {
    document.getElementById("comment-form").reset();
    chooseZone(zone);
    say("ok", `${answer.message.vi} (số ${answer.id})`, `${answer.message.en} (no. ${answer.id})`);
    document.getElementById("form-status").dataset.comment = answer.id;
  } else {
    show("form-status", "error", failure(answer, response.status));
  }
  window.dothiSent = response.status;
}

async function start() {
  setUpPage();
  const topics = (await getJson("planning/comment-topics")).topics;
  document.getElementById("topic").replaceChildren(
    ...topics.map((t) => el("option", { value: t.id }, t[lang] ?? t.vi)));
  document.getElementById("comment-form").addEventListener("submit", send);
  document.getElementById("document-form").addEventListener("submit", uploadDocument);
  document.getElementById("zone").addEventListener("change", (e) => chooseZone(e.target.value));
  const plans = (await getJson("planning/plans")).plans.filter((p) => p.consultation_from);
  const list = document.getElementById("plans");
  list.replaceChildren(...plans.map(planButton));
  if (!plans.length) {
    list.replaceChildren(el("li", { className: "muted" },
      w("Hiện không có đồ án nào lấy ý kiến.", "No plan is in consultation now.")));
    return;
  }
  const asked = plans.find((p) => p.id === params.get("plan"));
  const wanted = asked ?? plans.find(isOpen) ?? plans[0];
  await choose(wanted, asked ? params.get("zone") : null);
}

document.getElementById("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const { ok, status, doc } = await signIn(document.getElementById("login-name"),
    document.getElementById("login-password"));
  if (!ok) {
    note("error", failure(doc, status), failure(doc, status));
    return;
  }
  token = doc.token;
  staff = doc.role === "admin" || doc.role === "editor";
  note("ok", `Đã đăng nhập: ${doc.account}.`, `Signed in: ${doc.account}.`);
  window.dothiReady = current
    ? Promise.all([showComments(current), showDocuments(current)])
    : Promise.resolve();
});

window.dothiReady = start();
