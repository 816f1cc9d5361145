// The accounts page: sign in, see one's account, change one's password, sign out; for
// administrators, the accounts table, creating an account, changing its role, agency and
// state, resetting its password. The page's text is in its language (<html lang>); the
// messages written here pick theirs the same way. The token stays in this module only.

import { signIn } from "./signin.js";

const LANG = document.documentElement.lang === "en" ? "en" : "vi";
const w = (vi, en) => (LANG === "en" ? en : vi);
const $ = (id) => document.getElementById(id);

let token = "";
let editing = null; // the account shown in the edit form

function say(kind, text) {
  const status = $("status");
  status.className = kind;
  status.textContent = text;
}

function failure(doc, status) {
  return (LANG === "en" ? doc.description : doc.description_vi) || `${w("Lỗi", "Error")} ${status}`;
}

async function api(path, { method = "GET", body } = {}) {
  const headers = { Accept: "application/json", Authorization: `Bearer ${token}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(new URL(path, document.baseURI), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const doc = response.status === 204 ? {} : await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(failure(doc, response.status));
  return doc;
}

function when(iso) {
  if (!iso) return "–";
  // Day, month, four-digit year: never a bare "7/12/26".
  return new Date(iso).toLocaleString(LANG === "en" ? "en-GB" : "vi-VN", {
    day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit", minute: "2-digit",
  });
}

const roleWords = (acc) => acc.role_label[LANG];
const stateWords = (acc) => (acc.disabled ? w("Đã khóa", "Disabled") : w("Hoạt động", "Active"));

function fact(list, term, value) {
  const dt = document.createElement("dt");
  dt.textContent = term;
  const dd = document.createElement("dd");
  dd.textContent = value;
  list.append(dt, dd);
}

async function showMe() {
  const me = await api("api/me");
  const list = $("me");
  list.replaceChildren();
  fact(list, w("Tài khoản", "Account"), me.name);
  fact(list, w("Vai trò", "Role"), roleWords(me));
  fact(list, w("Cơ quan", "Agency"), me.agency ?? "–");
  fact(list, w("Phiên đăng nhập hết hạn", "This sign-in ends"), when(me.token_expires_at));
  $("mine").hidden = false;
  if (me.role === "admin") {
    $("admin").hidden = false;
    await showAccounts();
  }
}

function cell(row, label, value) {
  const td = document.createElement("td");
  td.dataset.label = label;
  td.textContent = value;
  row.append(td);
  return td;
}

async function showAccounts() {
  const { accounts } = await api("api/accounts");
  const rows = accounts.map((acc) => {
    const tr = document.createElement("tr");
    tr.dataset.account = acc.name;
    if (acc.disabled) tr.className = "disabled";
    const th = document.createElement("th");
    th.scope = "row";
    th.textContent = acc.name;
    tr.append(th);
    cell(tr, w("Vai trò", "Role"), roleWords(acc));
    cell(tr, w("Cơ quan", "Agency"), acc.agency ?? "–");
    cell(tr, w("Trạng thái", "State"), stateWords(acc));
    cell(tr, w("Đăng nhập lần cuối", "Last sign-in"), when(acc.last_sign_in));
    const button = document.createElement("button");
    button.type = "button";
    button.className = "edit";
    button.textContent = w("Sửa", "Edit");
    button.setAttribute("aria-label", w(`Sửa tài khoản ${acc.name}`, `Edit account ${acc.name}`));
    button.addEventListener("click", () => openEdit(acc));
    cell(tr, "", "").append(button);
    return tr;
  });
  $("accounts-table").tBodies[0].replaceChildren(...rows);
}

function openEdit(acc) {
  editing = acc;
  $("edit-title").textContent = w(`Sửa tài khoản ${acc.name}`, `Edit account ${acc.name}`);
  $("edit-role").value = acc.role;
  $("edit-agency").value = acc.agency ?? "";
  $("edit-disabled").checked = acc.disabled;
  $("edit").hidden = false;
  $("edit-title").focus();
}

function closeEdit() {
  const name = editing?.name;
  editing = null;
  $("edit").hidden = true;
  // Back to where the keyboard was: the row's own button.
  if (name) document.querySelector(`tr[data-account="${CSS.escape(name)}"] button.edit`)?.focus();
}

function showGenerated(name, password) {
  $("generated-name").textContent = name;
  $("generated-password").textContent = password;
  $("generated").hidden = false;
}

function signedOut() {
  token = "";
  editing = null;
  for (const id of ["mine", "admin", "edit", "generated"]) $(id).hidden = true;
  $("me").replaceChildren();
  $("accounts-table").tBodies[0].replaceChildren();
  $("generated-password").textContent = "";
  say("ok", w("Đã đăng xuất.", "Signed out."));
  $("login-name").focus();
}

async function run(task) {
  try {
    await task();
  } catch (error) {
    say("error", error.message);
  }
}

$("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const { ok, status, doc } = await signIn($("login-name"), $("login-password"), {
    onSignOut: (done) => {
      signedOut();
      if (!done) say("error", w("Không liên lạc được máy chủ để thu hồi phiên đăng nhập.",
        "Could not reach the server to revoke the sign-in."));
    },
  });
  if (!ok) {
    say("error", failure(doc, status));
    return;
  }
  token = doc.token;
  say("ok", w(`Đã đăng nhập: ${doc.account}.`, `Signed in: ${doc.account}.`));
  window.dothiReady = run(showMe);
  await window.dothiReady;
});

$("password-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const fields = ["current-password", "new-password", "repeat-password"].map($);
  const [current, fresh, again] = fields.map((f) => f.value);
  if (fresh !== again) {
    say("error", w("Hai lần nhập mật khẩu mới không giống nhau.", "The two new passwords differ."));
    return;
  }
  window.dothiReady = run(async () => {
    try {
      await api("api/me/password", {
        method: "POST",
        body: { current_password: current, new_password: fresh },
      });
    } finally {
      fields[0].value = "";
    }
    fields[1].value = "";
    fields[2].value = "";
    say("ok", w("Đã đổi mật khẩu. Các phiên đăng nhập khác đã bị thu hồi.",
      "Password changed. The other sign-ins were revoked."));
  });
});

$("create-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const initial = $("new-initial").value;
  const body = { name: $("new-name").value.trim(), role: $("new-role").value };
  if ($("new-agency").value.trim()) body.agency = $("new-agency").value.trim();
  if (initial) body.password = initial;
  window.dothiReady = run(async () => {
    const made = await api("api/accounts", { method: "POST", body });
    $("create-form").reset();
    if (made.password) showGenerated(made.name, made.password);
    else $("generated").hidden = true;
    await showAccounts();
    // Told once the table shows it.
    say("ok", w(`Đã tạo tài khoản ${made.name}.`, `Account ${made.name} created.`));
  });
});

$("edit-form").addEventListener("submit", (event) => {
  event.preventDefault();
  if (!editing) return;
  const acc = editing;
  const body = {};
  if ($("edit-role").value !== acc.role) body.role = $("edit-role").value;
  const agency = $("edit-agency").value.trim();
  if (agency !== (acc.agency ?? "")) body.agency = agency || null;
  if ($("edit-disabled").checked !== acc.disabled) body.disabled = $("edit-disabled").checked;
  if (!Object.keys(body).length) {
    say("ok", w("Không có gì thay đổi.", "Nothing changed."));
    return;
  }
  window.dothiReady = run(async () => {
    const saved = await api(`api/accounts/${encodeURIComponent(acc.name)}`, {
      method: "PATCH",
      body,
    });
    await showAccounts();
    closeEdit();
    say("ok", w(`Đã lưu tài khoản ${saved.name}.`, `Account ${saved.name} saved.`));
  });
});

$("reset-password").addEventListener("click", () => {
  if (!editing) return;
  const name = editing.name;
  const sure = window.confirm(w(
    `Đặt lại mật khẩu của ${name}? Mọi phiên đăng nhập và token của tài khoản này sẽ bị thu hồi.`,
    `Reset the password of ${name}? All its sign-ins and tokens will be revoked.`));
  if (!sure) return;
  window.dothiReady = run(async () => {
    const done = await api(`api/accounts/${encodeURIComponent(name)}/password`, {
      method: "POST",
      body: {},
    });
    showGenerated(done.name, done.password);
    await showAccounts();
    say("ok", w(`Đã đặt lại mật khẩu của ${name}.`, `Password of ${name} reset.`));
  });
});

$("edit-close").addEventListener("click", closeEdit);
$("edit").addEventListener("keydown", (event) => {
  if (event.key === "Escape") closeEdit();
});

window.dothiReady = Promise.resolve();
