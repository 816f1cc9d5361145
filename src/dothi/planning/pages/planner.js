// The planner page: saved scenarios of plans, compared side by side as a table and as the
// server's SVG charts, with the CSV and PDF downloads; officials sign in to see draft plans'
// scenarios and to save new ones. Names and labels reach the page as text only.
import { signIn } from "./signin.js";

const api = (path) => new URL(path, document.baseURI);
let token = "";

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

function say(vi, en, kind = "error") {
  const status = document.getElementById("status");
  status.className = kind;
  status.replaceChildren(vi ? `${vi} ` : "", vi ? el("span", { lang: "en" }, `/ ${en}`) : "");
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

// Headings of the table's groups of rows (the API's group keys).
const GROUPS = {
  scenario: "Phương án / Scenario",
  zones: "Ô quy hoạch / Zones",
  floor_area: "Diện tích sàn / Floor area",
  population: "Dân số / Population",
  land_use: "Cơ cấu sử dụng đất / Land-use balance",
  green: "Cây xanh / Green space",
  services: "Bán kính phục vụ / Service coverage",
  infrastructure: "Hạ tầng kỹ thuật, đỗ xe / Utilities and parking",
};

const fmt = (v) => (v === null || v === undefined ? "–"
  : typeof v === "number" ? v.toLocaleString("vi-VN", { maximumFractionDigits: 1 }) : String(v));

async function loadScenarios() {
  const [scenarios, plans, regulations] = await Promise.all([
    call("planning/scenarios").then((r) => r.json()),
    call("planning/plans").then((r) => r.json()),
    call("planning/regulations").then((r) => r.json()),
  ]);
  const names = Object.fromEntries(plans.plans.map((p) => [p.id, p.name]));
  const list = document.getElementById("scenarios");
  list.replaceChildren(...scenarios.scenarios.map((s) => el("li", {}, el("label", {},
    el("input", { type: "checkbox", value: s.id }), " ", el("strong", {}, s.name),
    s.illustrative ? " (minh họa / illustrative)" : "", el("br"),
    el("span", { className: "muted" },
      `${names[s.plan_id] ?? s.plan_id} · ${s.assumptions.floor_area_per_person_m2} m²/người · ` +
      `${s.assumptions.edition}`)))));
  if (!scenarios.scenarios.length) {
    list.replaceChildren(el("li", { className: "muted" }, "Chưa có phương án nào. / No scenario yet."));
  }
  document.getElementById("s-plan").replaceChildren(
    ...plans.plans.map((p) => el("option", { value: p.id }, `${p.name} (${p.status})`)));
  document.getElementById("s-edition").replaceChildren(...regulations.editions.map((e) =>
    el("option", { value: e.code, selected: e.in_force }, `${e.code} (từ / from ${e.valid_from})`)));
}

function table(doc) {
  const head = el("tr", {}, el("th", {}, "Chỉ tiêu / Indicator"), el("th", {}, "Đơn vị / Unit"),
    ...doc.scenarios.map((s) => el("th", {}, s.scenario?.name ?? s.name ?? s.id)));
  const rows = [head];
  let group = null;
  for (const row of doc.rows) {
    if (row.group !== group) {
      group = row.group;
      rows.push(el("tr", { className: "group" }, el("th", { colSpan: doc.scenarios.length + 2 }, GROUPS[group] ?? group)));
    }
    rows.push(el("tr", {}, el("td", {}, `${row.label.vi} / ${row.label.en}`), el("td", {}, row.unit),
      ...row.values.map((v) => el("td", {}, fmt(v)))));
  }
  document.getElementById("table").replaceChildren(...rows);
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
    table(doc);
    // The charts are the server's SVG, shown as an image: it is the same picture as in the
    // PDF, and an image cannot run anything.
    const svg = await (await call(`planning/scenarios/compare?ids=${query}&format=svg`)).blob();
    document.getElementById("charts").replaceChildren(
      el("img", { id: "chart", className: "chart", src: URL.createObjectURL(svg), alt: "Biểu đồ so sánh / comparison charts" }));
    document.getElementById("downloads").replaceChildren("Tải về / Download: ",
      await download(query, "csv", "CSV"), " · ", await download(query, "pdf", "PDF"), " · ",
      await download(query, "svg", "SVG"));
    document.getElementById("result").hidden = false;
    say("", "");
  } catch (error) {
    say(error.doc?.description_vi ?? error.message, error.doc?.description ?? "");
  }
  window.dothiCompared = ids.length;
}

document.getElementById("compare").addEventListener("click", () => { window.dothiDone = compare(); });

document.getElementById("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const { ok, status, doc } = await signIn(document.getElementById("login-name"),
    document.getElementById("login-password"));
  if (!ok) return say(doc.description_vi ?? `Lỗi ${status}`, doc.description ?? "");
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
    say(error.doc?.description_vi ?? error.message, error.doc?.description ?? "");
  }
  window.dothiSaved = true;
});

window.dothiReady = loadScenarios();
