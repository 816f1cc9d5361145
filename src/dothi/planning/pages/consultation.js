// The consultation page: plans open for comment, the comment form, published comments with
// their answers, and the synthesis once a consultation has closed. Everything people wrote
// reaches the page as text (textContent) only, never as HTML.
import { signIn } from "./signin.js";

const api = (path) => new URL(path, document.baseURI);
const params = new URLSearchParams(location.search);
const MAX_FILES = 3;
const MAX_BYTES = 5 * 2 ** 20;

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

const bilingual = (vi, en) => [`${vi} `, el("span", { lang: "en" }, `/ ${en}`)];

function say(kind, vi, en) {
  const status = document.getElementById("form-status");
  status.className = kind;
  status.replaceChildren(...bilingual(vi, en));
}

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

function note(kind, vi, en) {
  const status = document.getElementById("status");
  status.className = kind;
  status.replaceChildren(...bilingual(vi, en));
}

// A moderation or answer request of an official; the page is redrawn after it.
async function act(path, method, body) {
  const response = await fetch(api(path), {
    method, headers: headers({ "Content-Type": "application/json" }), body: JSON.stringify(body),
  });
  const doc = await response.json().catch(() => ({}));
  if (!response.ok) {
    note("error", doc.description_vi ?? `Lỗi ${response.status}`, doc.description ?? "");
  } else {
    note("ok", "Đã lưu.", "Saved.");
  }
  await showComments(current);
  window.dothiActed = response.status;
}

// Dates of a period are Viet Nam dates; compare them with today's date there.
const todayInVietnam = () => new Date(Date.now() + 7 * 3600e3).toISOString().slice(0, 10);
const isOpen = (plan) => plan.status === "consultation" && plan.consultation_from <= todayInVietnam()
  && todayInVietnam() <= plan.consultation_to;
const vnDate = (iso) => (iso ? iso.slice(0, 10).split("-").reverse().join("/") : "");

let topics = [];
let current = null;
// Zone codes of the chosen plan by zone id: comments name a zone by its id.
const zoneCodes = new Map();
// An official's sign-in token: moderation and answers (never kept beyond the page).
let token = "";
let staff = false;

function planButton(plan) {
  const state = isOpen(plan) ? ["đang lấy ý kiến", "open"] : ["đã kết thúc", "closed"];
  const button = el("button", { type: "button", "data-plan": plan.id },
    el("strong", {}, plan.name), el("br"),
    el("span", { className: "muted" },
      `${vnDate(plan.consultation_from)} – ${vnDate(plan.consultation_to)} · ${state[0]} / ${state[1]}`));
  button.dataset.plan = plan.id;
  button.addEventListener("click", () => choose(plan));
  return el("li", {}, button);
}

function moderationTools(c) {
  const reason = el("input", { placeholder: "Lý do từ chối / reason for rejecting", className: "reason" });
  const publish = el("button", { type: "button", className: "publish" }, "Công bố / Publish");
  const reject = el("button", { type: "button", className: "reject" }, "Từ chối / Reject");
  const path = `planning/comments/${c.id}/moderation`;
  publish.addEventListener("click", () => act(path, "POST", { decision: "published" }));
  reject.addEventListener("click", () => act(path, "POST", { decision: "rejected", note: reason.value }));
  return el("div", { className: "tools" }, reason, publish, reject);
}

function answerTools(c) {
  const text = el("textarea", { rows: 2, className: "answer-text", value: c.answer ?? "",
    placeholder: "Trả lời chính thức / official answer" });
  const send = el("button", { type: "button", className: "send-answer" }, "Trả lời / Answer");
  send.addEventListener("click", () => act(`planning/comments/${c.id}/answer`, "PUT", { answer: text.value }));
  return el("div", { className: "tools" }, text, send);
}

function commentItem(c) {
  const topic = c.topic_label ? `${c.topic_label.vi} / ${c.topic_label.en}` : c.topic;
  const where = c.zone_uid ? ` · ô / zone ${zoneCodes.get(c.zone_uid) ?? c.zone_uid}` : "";
  const item = el("li", {},
    el("div", { className: "meta" }, `#${c.id} · ${vnDate(c.created_at)} · ${topic}${where}`),
    el("p", {}, c.body));
  for (const f of c.attachments) {
    const href = api(`planning/comments/${c.id}/attachments/${f.id}`).href;
    item.append(el("div", {}, el("a", { href }, `📎 ${f.name}`)));
  }
  if (c.answer) {
    item.append(el("div", { className: "answer" },
      el("strong", {}, "Trả lời / Answer: "), c.answer,
      el("div", { className: "meta" }, vnDate(c.answered_at))));
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
    list.replaceChildren(el("li", { className: "muted" }, ...bilingual("Chưa có góp ý nào được công bố.",
      "No published comment yet.")));
  }
}

async function choose(plan) {
  current = plan;
  for (const b of document.querySelectorAll("#plans button")) {
    b.setAttribute("aria-pressed", String(b.dataset.plan === plan.id));
  }
  document.getElementById("plan").hidden = false;
  document.getElementById("plan-name").textContent = plan.name;
  document.getElementById("plan-period").textContent =
    `Thời gian lấy ý kiến / Consultation period: ${vnDate(plan.consultation_from)} – ${vnDate(plan.consultation_to)}`;
  const open = isOpen(plan);
  document.getElementById("comment-form").hidden = !open;
  const report = document.getElementById("plan-report");
  report.hidden = open;
  if (!open) {
    const base = `planning/plans/${encodeURIComponent(plan.id)}/consultation/report`;
    report.replaceChildren(...bilingual("Đã kết thúc lấy ý kiến. Báo cáo tổng hợp:",
      "The consultation has closed. Synthesis:"), " ",
      el("a", { id: "report-pdf", href: api(`${base}?format=pdf`).href }, "PDF"), " · ",
      el("a", { href: api(`${base}?format=csv`).href }, "CSV"));
  }
  const zone = document.getElementById("zone");
  zone.replaceChildren(el("option", { value: "" }, "Toàn đồ án / Whole plan"));
  zoneCodes.clear();
  const filter = encodeURIComponent(`plan_id='${plan.id.replace(/'/g, "''")}'`);
  try {
    const zones = await getJson(
      `ogcapi/collections/planning_zone/items?f=json&limit=1000&filter=${filter}`);
    for (const f of zones.features) {
      const p = f.properties;
      zoneCodes.set(f.id, p.zone_code ?? f.id);
      zone.append(el("option", { value: f.id },
        `${p.zone_code ?? f.id} — ${p.function_label ?? p.land_use_function ?? ""}`));
    }
  } catch {
    // Zones of a layer the visitor may not read: the plan can still be commented on whole.
  }
  const place = document.getElementById("place");
  place.hidden = !(params.get("plan") === plan.id && params.has("lon") && params.has("lat"));
  if (!place.hidden) {
    place.textContent = `Góp ý tại vị trí / Comment on the place: ${params.get("lat")}, ${params.get("lon")}`;
  }
  await showComments(plan);
  window.dothiPlan = plan.id;
}

function readFile(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",", 2)[1]);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

async function send(event) {
  event.preventDefault();
  const body = document.getElementById("body").value.trim();
  if (!body) return say("error", "Hãy viết nội dung góp ý.", "Please write the comment.");
  const files = [...document.getElementById("files").files];
  if (files.length > MAX_FILES) {
    return say("error", `Tối đa ${MAX_FILES} tệp.`, `At most ${MAX_FILES} files.`);
  }
  if (files.some((f) => f.size > MAX_BYTES)) {
    return say("error", "Mỗi tệp tối đa 5 MiB.", "Each file may be at most 5 MiB.");
  }
  const doc = { body, topic: document.getElementById("topic").value };
  const zone = document.getElementById("zone").value;
  if (!document.getElementById("place").hidden) {
    doc.lon = Number(params.get("lon"));
    doc.lat = Number(params.get("lat"));
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
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(doc),
  });
  const answer = await response.json().catch(() => ({}));
  if (response.ok) {
    document.getElementById("comment-form").reset();
    say("ok", `${answer.message.vi} (số / no. ${answer.id})`, answer.message.en);
  } else {
    say("error", answer.description_vi ?? `Lỗi ${response.status}`, answer.description ?? `Error ${response.status}`);
  }
  window.dothiSent = response.status;
}

async function start() {
  topics = (await getJson("planning/comment-topics")).topics;
  document.getElementById("topic").replaceChildren(
    ...topics.map((t) => el("option", { value: t.id }, `${t.vi} / ${t.en}`)));
  document.getElementById("comment-form").addEventListener("submit", send);
  const plans = (await getJson("planning/plans")).plans.filter((p) => p.consultation_from);
  const list = document.getElementById("plans");
  list.replaceChildren(...plans.map(planButton));
  if (!plans.length) {
    list.replaceChildren(el("li", { className: "muted" }, ...bilingual("Hiện không có đồ án nào lấy ý kiến.",
      "No plan is in consultation now.")));
    return;
  }
  const wanted = plans.find((p) => p.id === params.get("plan")) ?? plans.find(isOpen) ?? plans[0];
  await choose(wanted);
}

document.getElementById("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const { ok, status, doc } = await signIn(document.getElementById("login-name"),
    document.getElementById("login-password"));
  if (!ok) {
    note("error", doc.description_vi ?? `Lỗi ${status}`, doc.description ?? "");
    return;
  }
  token = doc.token;
  staff = doc.role === "admin" || doc.role === "editor";
  note("ok", `Đã đăng nhập: ${doc.account}.`, `Signed in: ${doc.account}.`);
  window.dothiReady = current ? showComments(current) : Promise.resolve();
});

window.dothiReady = start();
