// The planner page: saved scenarios of plans, compared side by side as a table (with the
// difference from the first scenario) and as bar charts, with the CSV, PDF and SVG
// downloads; officials sign in to see draft plans' scenarios and to save new ones. The page
// speaks one language at a time (the visitor's choice, else the browser's). Names and
// labels reach the page as text only.
import { signIn } from "./signin.js";

const api = (path) => new URL(path, document.baseURI);
let token = "";

// The page's language: the one the server wrote the page in (<html lang>), from the
// visitor's choice (cookie dothi_lang), else the browser's languages, else Vietnamese.
const LANG = document.documentElement.lang === "en" ? "en" : "vi";
const tr = (vi, en) => (LANG === "en" ? en : vi);
const pick = (label) => (label && typeof label === "object" ? label[LANG] ?? label.vi : label);
// A name written "Vietnamese / English" in the page's language, as dothi.planning.plans.name_in.
function named(name) {
  const text = String(name ?? "");
  const at = text.indexOf(" / ");
  if (at < 0) return text;
  return (LANG === "en" ? text.slice(at + 3) : text.slice(0, at)).trim();
}
const planName = (plan) => pick(plan.name_label) ?? named(plan.name);

// The server writes the page's text in its language; the script keeps the language switch
// coming back to this page.
function languageLink() {
  const other = LANG === "en" ? "vi" : "en";
  const link = document.getElementById("language");
  link.textContent = other === "en" ? "English" : "Tiếng Việt";
  link.lang = other;
  link.hreflang = other;
  link.href = api(`language/${other}?next=${encodeURIComponent(location.pathname)}`).href;
}

// Numbers as dothi.i18n.format_number writes them: 1 234,5 in Vietnamese, 1,234.5 in
// English, at most two decimals; – for a missing value (never 0).
function num(value, digits = 2) {
  if (value === null || value === undefined) return "–";
  const text = Number(value).toLocaleString("en-US", { maximumFractionDigits: digits });
  return LANG === "en" ? text : text.replaceAll(",", " ").replace(".", ",");
}
const show = (v) => (typeof v === "number" ? num(v) : v === null || v === undefined ? "–" : named(v));

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

function say(vi, en, kind = "error") {
  const status = document.getElementById("status");
  status.className = kind;
  status.textContent = tr(vi, en || vi);
}

async function call(path, options = {}) {
  const headers = { Accept: "application/json", ...(options.headers ?? {}) };
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(api(path), { ...options, headers });
  if (!response.ok) {
    const doc = await response.json().catch(() => ({}));
    throw Object.assign(new Error(doc.description ?? `HTTP ${response.status}`), { doc, status: response.status });
  }
  return response;
}

const failed = (error) => say(error.doc?.description_vi ?? error.message, error.doc?.description ?? error.message);

// Headings of the table's groups of rows (the API's group keys).
const GROUPS = {
  scenario: ["Phương án", "Scenario"],
  zones: ["Ô quy hoạch", "Zones"],
  floor_area: ["Diện tích sàn", "Floor area"],
  population: ["Dân số", "Population"],
  density: ["Mật độ dân số", "Population density"],
  land_use: ["Cơ cấu sử dụng đất", "Land-use balance"],
  green: ["Cây xanh", "Green space"],
  services: ["Bán kính phục vụ, chỗ học", "Service coverage, school places"],
  infrastructure: ["Hạ tầng kỹ thuật, đỗ xe", "Utilities and parking"],
};
const STATUS = {
  draft: ["dự thảo nội bộ", "internal draft"],
  consultation: ["đang lấy ý kiến", "in consultation"],
  approved: ["đã phê duyệt", "approved"],
  superseded: ["đã được thay thế", "superseded"],
};
const COLOURS = ["#1b6ca8", "#e07b39", "#3a9d5d", "#8e44ad", "#c0392b", "#7f8c8d"];
// A unit is written "vi · en" by the API: the part in the page's language.
const unit = (text) => (text ? text.split(" · ")[LANG === "en" ? 1 : 0] ?? text : "");

async function loadScenarios() {
  const [scenarios, plans, regulations] = await Promise.all([
    call("planning/scenarios").then((r) => r.json()),
    call("planning/plans").then((r) => r.json()),
    call("planning/regulations").then((r) => r.json()),
  ]);
  const names = Object.fromEntries(plans.plans.map((p) => [p.id, planName(p)]));
  const list = document.getElementById("scenarios");
  list.replaceChildren(...scenarios.scenarios.map((s) => el("li", {}, el("label", {},
    el("input", { type: "checkbox", value: s.id }), " ", el("strong", {}, named(s.name)),
    s.illustrative ? ` (${tr("minh họa", "illustrative")})` : "", el("br"),
    el("span", { className: "muted" },
      `${names[s.plan_id] ?? tr("đồ án không xem được", "a plan you cannot see")} · ` +
      `${num(s.assumptions.floor_area_per_person_m2)} ${tr("m² sàn/người", "m² per person")} · ` +
      `${s.assumptions.edition}`)))));
  if (!scenarios.scenarios.length) {
    list.replaceChildren(el("li", { className: "muted" }, tr("Chưa có phương án nào.", "No scenario yet.")));
  }
  document.getElementById("s-plan").replaceChildren(...plans.plans.map((p) =>
    el("option", { value: p.id }, `${planName(p)} (${tr(...(STATUS[p.status] ?? [p.status, p.status]))})`)));
  document.getElementById("s-edition").replaceChildren(...regulations.editions.map((e) =>
    el("option", { value: e.code, selected: e.in_force }, `${e.code} (${tr("từ", "from")} ${e.valid_from})`)));
}

function table(doc) {
  const names = doc.scenarios.map((s) => named(s.scenario.name));
  const diffs = names.slice(1).map((n) => `${tr("Chênh lệch", "Difference")}: ${n} − ${names[0]}`);
  const head = el("tr", {}, el("th", {}, tr("Chỉ tiêu", "Indicator")), el("th", {}, tr("Đơn vị", "Unit")),
    ...names.map((n) => el("th", {}, n)), ...diffs.map((d) => el("th", { className: "diff" }, d)));
  const rows = [head];
  let group = null;
  for (const row of doc.rows) {
    if (row.group !== group) {
      group = row.group;
      const [vi, en] = GROUPS[group] ?? [group, group];
      rows.push(el("tr", { className: "group" }, el("th", { colSpan: names.length * 2 + 1 }, tr(vi, en))));
    }
    const differences = (row.differences ?? []).map((d, k) => {
      const other = row.values[k + 1];
      const text = typeof d === "number" ? `${d > 0 ? "+" : ""}${num(d)}`
        : typeof other === "string" ? (other === row.values[0] ? "=" : tr("khác", "differs")) : "–";
      return el("td", { className: "diff" }, text);
    });
    rows.push(el("tr", {}, el("td", {}, pick(row.label)), el("td", {}, unit(row.unit)),
      ...row.values.map((v) => el("td", {}, show(v))), ...differences));
    rows.at(-1).dataset.key = row.key;
  }
  document.getElementById("table").replaceChildren(...rows);
}

// One chart as horizontal bars: each category's label on its own line, then one bar per
// scenario with its value; a missing value is a hatched box and "–", never an empty bar.
function chart(spec) {
  const values = spec.values.flat().filter((v) => typeof v === "number");
  const refs = spec.references ?? [];
  const top = Math.max(0, ...values, ...refs.map((r) => r.value)) || 1;
  const box = el("figure", { className: "bars" },
    el("h3", {}, pick(spec.title), " ", el("span", { className: "unit" }, `(${unit(spec.unit)})`)));
  spec.categories.forEach((category, c) => {
    box.append(el("p", { className: "category" }, pick(category.label)));
    spec.values.forEach((series, i) => {
      const value = series[c];
      const fill = el("div", { className: value === null || value === undefined ? "fill missing" : "fill" });
      if (value !== null && value !== undefined) {
        fill.style.width = `${(Math.max(0, value) / top) * 100}%`;
        fill.style.background = COLOURS[i % COLOURS.length];
      }
      const track = el("div", { className: "track" }, fill);
      for (const r of refs) {
        const mark = el("span", { className: "ref", title: pick(r.label) });
        mark.style.left = `${(r.value / top) * 100}%`;
        track.append(mark);
      }
      box.append(el("div", { className: "bar" }, track, el("span", { className: "value" }, num(value))));
    });
  });
  if (refs.length) {
    box.append(el("p", { className: "refs" }, refs.map((r) => `┆ ${pick(r.label)}: ${num(r.value)}`).join(" · ")));
  }
  return box;
}

function legend(doc) {
  const items = doc.scenarios.map((s, i) => {
    const key = el("span", { className: "key" });
    key.style.background = COLOURS[i % COLOURS.length];
    return el("span", {}, key, named(s.scenario.name));
  });
  const hatched = el("span", { className: "key fill missing" });
  items.push(el("span", {}, hatched, tr("gạch chéo, –: không có số liệu", "hatched, –: no value")));
  document.getElementById("chart-legend").replaceChildren(...items);
}

async function download(ids, kind, label) {
  const link = el("a", { href: "#", id: `download-${kind}` }, label);
  link.addEventListener("click", async (event) => {
    event.preventDefault();
    const blob = await (await call(`planning/scenarios/compare?ids=${ids}&format=${kind}`)).blob();
    const a = el("a", { href: URL.createObjectURL(blob), download: `so-sanh-phuong-an.${kind}` });
    a.click();
  });
  return link;
}

async function compare() {
  const ids = [...document.querySelectorAll("#scenarios input:checked")].map((i) => i.value);
  if (ids.length < 2) return say("Hãy chọn ít nhất hai phương án.", "Choose at least two scenarios.");
  const query = ids.map(encodeURIComponent).join(",");
  try {
    const doc = await (await call(`planning/scenarios/compare?ids=${query}`)).json();
    document.getElementById("warnings").replaceChildren(
      ...(doc.warnings ?? []).map((w) => el("li", { className: "warning" }, w[LANG] ?? w.vi)));
    table(doc);
    legend(doc);
    document.getElementById("charts").replaceChildren(...doc.charts.map(chart));
    document.getElementById("downloads").replaceChildren(`${tr("Tải về", "Download")}: `,
      await download(query, "csv", "CSV"), " · ", await download(query, "pdf", "PDF"), " · ",
      await download(query, "svg", "SVG"));
    document.getElementById("result").hidden = false;
    say("", "");
  } catch (error) {
    failed(error);
  }
  window.dothiCompared = ids.length;
}

languageLink();

document.getElementById("compare").addEventListener("click", () => { window.dothiDone = compare(); });

document.getElementById("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const { ok, status, doc } = await signIn(document.getElementById("login-name"),
    document.getElementById("login-password"));
  if (!ok) return say(doc.description_vi ?? `Lỗi ${status}`, doc.description ?? `Error ${status}`);
  token = doc.token;
  window.dothiReady = loadScenarios().then(() =>
    say(`Đã đăng nhập: ${doc.account}.`, `Signed in: ${doc.account}.`, "ok"));
});

document.getElementById("scenario-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const value = (id) => document.getElementById(id).value;
  const body = {
    name: value("s-name").trim(),
    plan_id: value("s-plan"),
    assumptions: {
      floor_area_per_person_m2: Number(value("s-floor")),
      household_size: Number(value("s-household")),
      mixed_use_residential_share: Number(value("s-mixed")),
      edition: value("s-edition"),
    },
  };
  try {
    await call("planning/scenarios", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
    await loadScenarios();
    say(`Đã lưu phương án «${body.name}».`, `Scenario '${body.name}' saved.`, "ok");
  } catch (error) {
    failed(error);
  }
  window.dothiSaved = true;
});

window.dothiReady = loadScenarios();
