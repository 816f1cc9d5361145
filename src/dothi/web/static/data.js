// The officials' data page: sign in, import a file step by step (file → layer → the file's
// columns matched to the layer's fields → coordinate system → import → the report), and
// manage the layers (title, access, delete, restore). One language at a time: the one
// <html lang> names; the static text comes in it from the server, this script writes what
// it fetches in the same language. Values from files and people reach the page as text only.
import { signIn } from "./signin.js";

const lang = document.documentElement.lang === "en" ? "en" : "vi";
const w = (vi, en) => (lang === "en" ? en : vi);
const pick = (label) => (label ? label[lang] ?? label.vi : "");
const api = (path) => new URL(path, document.baseURI);
const number = (n) => (n === null || n === undefined ? "–" : Number(n).toLocaleString("vi-VN"));
const $ = (id) => document.getElementById(id);
const NEW = "\u0000new";
const ROLES = ["admin", "editor"];

let token = "";
let managed = { layers: [], deleted: [], core_available: [], access_levels: [] };
let preview = null;

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

function show(id, kind, text) {
  const node = $(id);
  node.className = kind;
  node.textContent = text;
}

// Some errors of the importer name the command line's options; on this page, say it with
// the page's own words.
const PAGE_WORDS = {
  CRSConflict: ["Hệ tọa độ đã nhập mâu thuẫn với hệ tọa độ tệp khai báo: dữ liệu sẽ bị dời chỗ. "
    + "Để trống ô hệ tọa độ để dùng hệ của tệp, hoặc đánh dấu ô “Dùng hệ tọa độ này…” nếu tệp "
    + "khai báo sai.", "The coordinate system entered contradicts the one the file declares: "
    + "the data would move. Leave the field empty to use the file's, or tick “Use this "
    + "coordinate system…” if the file's declaration is wrong."],
  LayerDeleted: ["Lớp này đã bị xóa: khôi phục nó trong mục “Lớp đã xóa” bên dưới, rồi nhập lại.",
    "This layer was deleted: restore it under “Deleted layers” below, then import again."],
  AmbiguousColumn: ["Một cột có tên bị cắt còn 10 ký tự có thể ứng với nhiều trường: chọn trường "
    + "của nó trong bảng.", "A column whose name was cut to 10 characters may be one of several "
    + "fields: choose its field in the table."],
};

function failure(doc, status) {
  const words = PAGE_WORDS[doc.code];
  if (words) return w(...words);
  return (lang === "en" ? doc.description : doc.description_vi) ?? w(`Lỗi ${status}`, `Error ${status}`);
}

async function call(path, options = {}) {
  const headers = { Accept: "application/json", Authorization: `Bearer ${token}`, ...options.headers };
  const response = await fetch(api(path), { ...options, headers });
  const doc = await response.json().catch(() => ({}));
  return { ok: response.ok, status: response.status, doc };
}

// -- Sign-in ---------------------------------------------------------------------------------

$("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const { ok, status, doc } = await signIn($("login-name"), $("login-password"));
  if (!ok) {
    show("status", "error", failure(doc, status));
    return;
  }
  if (!ROLES.includes(doc.role)) {
    show("status", "error", w("Tài khoản này chỉ được xem; cần tài khoản quản trị viên hoặc biên tập viên.",
      "This account may only read; an administrator's or editor's account is needed."));
    return;
  }
  token = doc.token;
  $("login-form").hidden = true;
  const role = doc.role === "admin" ? w("quản trị viên", "administrator") : w("biên tập viên", "editor");
  show("signed-in", "muted", w(`Đã đăng nhập: ${doc.account} (${role}).`, `Signed in: ${doc.account} (${role}).`));
  $("signed-in").hidden = false;
  show("status", "", "");
  $("work").hidden = false;
  await loadLayers();
  $("file").focus();
});

// -- Layers ----------------------------------------------------------------------------------

const title = (layer) => (lang === "en" ? layer.title_en || layer.title_vi : layer.title_vi);

async function loadLayers() {
  const { ok, status, doc } = await call("api/managed-layers");
  if (!ok) {
    show("status", "error", failure(doc, status));
    return;
  }
  managed = doc;
  fillLayerChoice();
  drawLayers();
  drawDeleted();
}

function fillLayerChoice() {
  const select = $("layer-choice");
  const before = select.value;
  const options = [el("option", { value: "" }, w("— Chọn lớp —", "— Choose a layer —"))];
  const editable = managed.layers.filter((ly) => ly.editable);
  if (editable.length) {
    options.push(el("optgroup", { label: w("Lớp đã có", "Existing layers") },
      ...editable.map((ly) => el("option", { value: ly.id }, title(ly)))));
  }
  if (managed.core_available.length) {
    options.push(el("optgroup", { label: w("Lớp lõi chưa có dữ liệu", "Core layers without data yet") },
      ...managed.core_available.map((ly) => el("option", { value: ly.id }, title(ly)))));
  }
  options.push(el("option", { value: NEW }, w("Lớp mới…", "A new layer…")));
  select.replaceChildren(...options);
  if ([...select.options].some((o) => o.value === before)) select.value = before;
  const access = $("new-access");
  access.replaceChildren(...managed.access_levels.map((a) =>
    el("option", { value: a.access, selected: a.access === "internal" }, pick(a.label))));
}

function accessControl(layer) {
  const id = `access-${layer.id}`;
  const select = el("select", { id },
    ...managed.access_levels.map((a) =>
      el("option", { value: a.access, selected: a.access === layer.access }, pick(a.label))));
  const label = el("label", { htmlFor: id, className: "visually-hidden" },
    w(`Mức truy cập của lớp ${title(layer)}`, `Access to the layer ${title(layer)}`));
  const button = el("button", { type: "button" }, w("Đổi", "Change"));
  button.setAttribute("aria-label", w(`Đổi mức truy cập của lớp ${title(layer)}`, `Change the access to the layer ${title(layer)}`));
  button.addEventListener("click", () => change(layer, { access: select.value }));
  return el("div", { className: "tools" }, label, select, button);
}

function titleEditor(layer, cell) {
  const vi = el("input", { id: `title-vi-${layer.id}`, value: layer.title_vi, maxLength: 300 });
  const en = el("input", { id: `title-en-${layer.id}`, value: layer.title_en, maxLength: 300 });
  const save = el("button", { type: "submit" }, w("Lưu tên", "Save"));
  const cancel = el("button", { type: "button" }, w("Thôi", "Cancel"));
  const form = el("form", { className: "title-form" },
    el("label", { htmlFor: vi.id }, w("Tên tiếng Việt", "Vietnamese title")), vi,
    el("label", { htmlFor: en.id }, w("Tên tiếng Anh", "English title")), en,
    el("div", { className: "tools" }, save, cancel));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    change(layer, { title_vi: vi.value, title_en: en.value });
  });
  cancel.addEventListener("click", () => drawLayers());
  cell.replaceChildren(form);
  vi.focus();
}

function layerRow(layer) {
  const name = el("td", { className: "name" }, el("strong", {}, title(layer)));
  name.dataset.label = w("Tên lớp", "Layer");
  if (layer.core) name.append(el("span", { className: "muted" }, ` · ${w("lớp lõi", "core layer")}`));
  const access = el("td", {}, layer.editable ? accessControl(layer) : pick(layer.access_label));
  access.dataset.label = w("Mức truy cập", "Access");
  const count = el("td", { className: "count" }, number(layer.feature_count));
  count.dataset.label = w("Số đối tượng", "Features");
  const actions = el("td", {});
  actions.dataset.label = w("Thao tác", "Actions");
  if (layer.editable) {
    const rename = el("button", { type: "button" }, w("Đổi tên", "Rename"));
    rename.setAttribute("aria-label", w(`Đổi tên lớp ${title(layer)}`, `Rename the layer ${title(layer)}`));
    rename.addEventListener("click", () => titleEditor(layer, name));
    const tools = el("div", { className: "tools" }, rename);
    if (!layer.core) {
      const remove = el("button", { type: "button", className: "danger" }, w("Xóa", "Delete"));
      remove.setAttribute("aria-label", w(`Xóa lớp ${title(layer)}`, `Delete the layer ${title(layer)}`));
      remove.addEventListener("click", () => removeLayer(layer));
      tools.append(remove);
    }
    actions.append(tools);
  } else {
    actions.append(el("span", { className: "muted" }, w("chỉ xem", "read only")));
  }
  const row = el("tr", {}, name, access, count, actions);
  row.dataset.layer = layer.id;
  return row;
}

function drawLayers() {
  const rows = managed.layers.map(layerRow);
  if (!rows.length) {
    rows.push(el("tr", {}, el("td", { colSpan: 4, className: "muted" }, w("Chưa có lớp nào.", "No layer yet."))));
  }
  $("layers").tBodies[0].replaceChildren(...rows);
}

function drawDeleted() {
  const items = managed.deleted.map((layer) => {
    const restore = el("button", { type: "button" }, w("Khôi phục", "Restore"));
    restore.setAttribute("aria-label", w(`Khôi phục lớp ${title(layer)}`, `Restore the layer ${title(layer)}`));
    restore.addEventListener("click", () => restoreLayer(layer));
    const when = layer.deleted_at ? new Date(layer.deleted_at).toLocaleString(lang === "en" ? "en-GB" : "vi-VN") : "";
    return el("li", {}, el("strong", {}, title(layer)), " ",
      el("span", { className: "muted" }, w(`xóa lúc ${when}`, `deleted ${when}`)), " ", restore);
  });
  if (!items.length) items.push(el("li", { className: "muted" }, w("Không có lớp nào đã xóa.", "No deleted layer.")));
  $("deleted").replaceChildren(...items);
}

async function change(layer, body) {
  const { ok, status, doc } = await call(`api/layers/${encodeURIComponent(layer.id)}`, {
    method: "PATCH", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  });
  if (!ok) show("status", "error", failure(doc, status));
  else show("status", "ok", w(`Đã lưu lớp ${title(doc)}: ${pick(doc.access_label)}.`, `Saved the layer ${title(doc)}: ${pick(doc.access_label)}.`));
  await loadLayers();
}

async function removeLayer(layer) {
  const question = w(`Xóa lớp “${title(layer)}” (${number(layer.feature_count)} đối tượng)? Lớp sẽ không còn trên bản đồ và API; có thể khôi phục sau.`,
    `Delete the layer “${title(layer)}” (${number(layer.feature_count)} features)? It leaves the map and the APIs; it can be restored later.`);
  if (!window.confirm(question)) return;
  const { ok, status, doc } = await call(`api/layers/${encodeURIComponent(layer.id)}`, { method: "DELETE" });
  if (!ok) show("status", "error", failure(doc, status));
  else show("status", "ok", w(`Đã xóa lớp ${title(layer)}.`, `Deleted the layer ${title(layer)}.`));
  await loadLayers();
}

async function restoreLayer(layer) {
  const { ok, status, doc } = await call(`api/layers/${encodeURIComponent(layer.id)}/restore`, { method: "POST" });
  if (!ok) show("status", "error", failure(doc, status));
  else show("status", "ok", w(`Đã khôi phục lớp ${title(layer)} (${number(doc.restored)} đối tượng).`,
    `Restored the layer ${title(layer)} (${number(doc.restored)} features).`));
  await loadLayers();
}

// -- Import ----------------------------------------------------------------------------------

const isNew = () => $("layer-choice").value === NEW;
const targetLayer = () => (isNew() ? $("new-id").value.trim() : $("layer-choice").value);

function resetPreview() {
  preview = null;
  $("mapping-step").hidden = true;
  $("crs-step").hidden = true;
  $("import-button").disabled = true;
}

$("file").addEventListener("change", resetPreview);
$("new-id").addEventListener("input", resetPreview);
$("layer-choice").addEventListener("change", () => {
  $("new-layer").hidden = !isNew();
  $("similar").hidden = true;
  resetPreview();
});

function fileForm() {
  const form = new FormData();
  form.append("file", $("file").files[0]);
  form.append("layer", targetLayer());
  return form;
}

$("preview-button").addEventListener("click", async () => {
  resetPreview();
  if (!$("file").files.length) {
    show("import-status", "error", w("Chọn tệp trước.", "Choose a file first."));
    $("file").focus();
    return;
  }
  if (!targetLayer()) {
    show("import-status", "error", isNew() ? w("Nhập mã lớp mới.", "Enter the new layer's id.")
      : w("Chọn lớp dữ liệu.", "Choose a layer."));
    (isNew() ? $("new-id") : $("layer-choice")).focus();
    return;
  }
  show("import-status", "muted", w("Đang đọc tệp…", "Reading the file…"));
  const { ok, status, doc } = await call("api/imports/preview", { method: "POST", body: fileForm() });
  if (!ok) {
    show("import-status", "error", failure(doc, status));
    return;
  }
  if (isNew() && doc.layer.state !== "new") {
    const words = doc.layer.state === "deleted" ? PAGE_WORDS.LayerDeleted
      : ["Đã có lớp với mã này: chọn nó trong danh sách, hoặc đặt mã khác.",
        "A layer with this id exists: choose it in the list, or give another id."];
    show("import-status", "error", w(...words));
    return;
  }
  preview = doc;
  drawSimilar(doc.layer.similar);
  drawMapping(doc);
  show("import-status", "", "");
  $("import-button").disabled = false;
  $("mapping-step").querySelector("select, button")?.focus();
});

function drawSimilar(similar) {
  const box = $("similar");
  box.hidden = !(isNew() && similar.length);
  if (box.hidden) return;
  const known = new Map([...managed.layers, ...managed.core_available].map((ly) => [ly.id, ly]));
  const buttons = similar.filter((id) => known.has(id)).map((id) => {
    const button = el("button", { type: "button" }, title(known.get(id)));
    button.addEventListener("click", () => {
      $("layer-choice").value = id;
      $("layer-choice").dispatchEvent(new Event("change"));
      $("preview-button").click();
    });
    return button;
  });
  box.replaceChildren(w("Có lớp gần giống; có phải ý bạn là: ", "Similar layers exist; did you mean: "), ...buttons);
  box.hidden = !buttons.length;
}

function fieldSelect(column, fields, index) {
  const id = `map-${index}`;
  const select = el("select", { id },
    el("option", { value: "" }, w("(giữ tên cột, không thuộc trường nào của lớp)", "(keep the column's name; no field of the layer)")),
    ...fields.map((f) => el("option", { value: f.name, selected: f.name === column.suggested }, pick(f.title))));
  select.dataset.column = column.name;
  select.dataset.suggested = column.how === "kept" ? "" : column.suggested;
  return select;
}

function drawMapping(doc) {
  const file = doc.file;
  const parts = [
    w(`${number(file.features)} đối tượng`, `${number(file.features)} features`),
    GEOMETRY[file.geometry_type] ? w(...GEOMETRY[file.geometry_type]) : file.geometry_type,
    FORMATS[file.format] ? w(...FORMATS[file.format]) : file.format,
    pick(doc.layer.state_label),
  ].filter(Boolean);
  $("file-summary").textContent = parts.join(" · ");
  const problem = $("mapping-problem");
  problem.hidden = !doc.mapping_problem;
  if (doc.mapping_problem) problem.textContent = PAGE_WORDS[doc.mapping_problem.code] ? w(...PAGE_WORDS[doc.mapping_problem.code]) : pick(doc.mapping_problem);
  const fields = doc.layer.fields;
  const rows = doc.columns.map((column, index) => {
    const samples = column.samples.filter((s) => s !== "").slice(0, 3).join(" · ") || "–";
    const target = el("td", {});
    target.dataset.label = w("Trường của lớp", "Field of the layer");
    if (fields.length) {
      const select = fieldSelect(column, fields, index);
      target.append(el("label", { htmlFor: select.id, className: "visually-hidden" },
        w(`Trường cho cột ${column.name}`, `Field for the column ${column.name}`)), select);
      if (column.how !== "kept" && column.how !== "same") {
        target.append(el("span", { className: "muted how" }, pick(column.how_label)));
      }
    } else {
      target.append(el("span", { className: "muted" }, w("trường mới cùng tên", "a new field of the same name")));
    }
    const name = el("td", {}, el("code", {}, column.name));
    name.dataset.label = w("Cột trong tệp", "Column in the file");
    const sample = el("td", { className: "samples" }, samples);
    sample.dataset.label = w("Giá trị mẫu", "Sample values");
    return el("tr", {}, name, sample, target);
  });
  $("mapping").tBodies[0].replaceChildren(...rows);
  $("mapping-step").hidden = false;
  const crs = file.crs;
  $("declared-crs").textContent = crs
    ? w(`Tệp khai báo hệ tọa độ: ${crs.name}${crs.spec ? ` (${crs.spec})` : ""}.`, `The file declares: ${crs.name}${crs.spec ? ` (${crs.spec})` : ""}.`)
    : w("Tệp không khai báo hệ tọa độ: nếu tọa độ không phải kinh độ, vĩ độ WGS 84, nhập hệ tọa độ bên dưới.",
      "The file declares no coordinate system: unless its coordinates are WGS 84 longitudes and latitudes, enter the system below.");
  $("crs-step").hidden = false;
}

const GEOMETRY = {
  Point: ["điểm", "points"], MultiPoint: ["điểm", "points"],
  LineString: ["đường", "lines"], MultiLineString: ["đường", "lines"],
  Polygon: ["vùng", "areas"], MultiPolygon: ["vùng", "areas"],
  Unknown: ["hình học hỗn hợp", "mixed geometries"],
};
const FORMATS = {
  "ESRI Shapefile": ["Shapefile", "Shapefile"], GPKG: ["GeoPackage", "GeoPackage"],
  GeoJSON: ["GeoJSON", "GeoJSON"], CSV: ["CSV", "CSV"],
};

function chosenMapping() {
  const mapping = {};
  const taken = new Map();
  for (const select of $("mapping").querySelectorAll("select")) {
    if (!select.value) continue;
    if (taken.has(select.value)) {
      const field = select.options[select.selectedIndex].textContent;
      throw new Error(w(`Hai cột (${taken.get(select.value)}, ${select.dataset.column}) cùng được chọn cho trường “${field}”.`,
        `Two columns (${taken.get(select.value)}, ${select.dataset.column}) are matched to the field “${field}”.`));
    }
    taken.set(select.value, select.dataset.column);
    // Only what the official changed: the report then says how the others were matched.
    if (select.value !== select.dataset.suggested) mapping[select.dataset.column] = select.value;
  }
  return mapping;
}

$("import-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!preview) return;
  let mapping;
  try {
    mapping = chosenMapping();
  } catch (error) {
    show("import-status", "error", error.message);
    return;
  }
  const form = fileForm();
  form.append("column_map", JSON.stringify(mapping));
  if (isNew()) {
    form.append("new_layer", "true");
    form.append("title_vi", $("new-title-vi").value);
    form.append("title_en", $("new-title-en").value);
    form.append("access", $("new-access").value);
  }
  form.append("crs", $("crs").value.trim());
  form.append("force_crs", $("force-crs").checked ? "true" : "false");
  $("import-button").disabled = true;
  $("report").hidden = true;
  show("import-status", "muted", w("Đang nhập…", "Importing…"));
  const { ok, status, doc } = await call("api/imports", { method: "POST", body: form });
  $("import-button").disabled = false;
  if (!ok) {
    show("import-status", "error", failure(doc, status));
    return;
  }
  show("import-status", "ok", w("Đã nhập xong.", "Import done."));
  await loadLayers();
  drawReport(doc);
});

const COUNTS = [
  ["read", "Đọc", "Read"], ["inserted", "Thêm mới", "Added"], ["updated", "Cập nhật", "Updated"],
  ["unchanged", "Không đổi", "Unchanged"], ["repaired", "Sửa hình học", "Geometry repaired"],
  ["rejected", "Từ chối", "Rejected"], ["flagged", "Cảnh báo", "Flagged"],
];

// The importer's warnings come as "Vietnamese / English": one language on this page.
const oneLanguage = (text) => {
  const [vi, en] = text.split(" / ");
  return en !== undefined && lang === "en" ? en : vi;
};

function drawReport(report) {
  const layer = managed.layers.find((ly) => ly.id === report.layer_id);
  const name = layer ? title(layer) : report.layer_id;
  const fieldTitles = new Map((preview?.layer.fields ?? []).map((f) => [f.name, pick(f.title)]));
  let summary = report.nothing_changed
    ? w(`Lớp ${name}: không có gì thay đổi.`, `Layer ${name}: nothing changed.`)
    : w(`Đã nhập vào lớp ${name} (lần thay đổi số ${report.changeset_id}).`, `Imported into the layer ${name} (change set ${report.changeset_id}).`);
  if (report.created_layer) summary += " " + w("Lớp đã được tạo.", "The layer was created.");
  $("report-summary").textContent = summary;
  $("report-counts").replaceChildren(...COUNTS.flatMap(([key, vi, en]) =>
    [el("dt", {}, w(vi, en)), el("dd", {}, number(report.counts[key]))]));
  const notes = report.columns.map((c) => el("li", {}, w(
    `Cột ${c.source} → trường “${fieldTitles.get(c.target) ?? c.target}” (${pick(c.how_label)}).`,
    `Column ${c.source} → field “${fieldTitles.get(c.target) ?? c.target}” (${pick(c.how_label)}).`)));
  const p = report.placement;
  if (p.misplaced) {
    notes.push(el("li", { className: "error" }, w(
      `${number(p.misplaced)} đối tượng ở vị trí đáng ngờ: ngoài xã/phường ghi trong dữ liệu ${number(p.outside_commune)} (đã từ chối), xa phạm vi hiện có của lớp ${number(p.far_from_layer)}, ngoài Việt Nam ${number(p.outside_vietnam)}. Kiểm tra hệ tọa độ.`,
      `${number(p.misplaced)} features in doubtful places: outside the commune they name ${number(p.outside_commune)} (rejected), far from the layer's extent ${number(p.far_from_layer)}, outside Viet Nam ${number(p.outside_vietnam)}. Check the coordinate system.`)));
  }
  for (const warning of report.warnings) notes.push(el("li", {}, oneLanguage(warning)));
  for (const row of report.rejected_rows) {
    notes.push(el("li", {}, w(`Dòng ${row.row}${row.key ? ` (${row.key})` : ""} bị từ chối: `, `Row ${row.row}${row.key ? ` (${row.key})` : ""} rejected: `), oneLanguage(row.reason)));
  }
  $("report-notes").replaceChildren(...notes);
  $("report").hidden = false;
  $("report").focus();
}
