// Sign-in shared by the pages: an account name and password (POST /api/login) for a
// one-day token, kept by the page (in memory only). The password field is emptied whatever
// the answer. Once signed in, the form gives way to a line saying who is signed in, with a
// link to change the password (the accounts page) and a sign-out button (POST /api/logout,
// which revokes the token on the server, then the page forgets it).

const WORDS = {
  signed_in: ["Đã đăng nhập", "Signed in as"],
  change_password: ["Đổi mật khẩu", "Change password"],
  sign_out: ["Đăng xuất", "Sign out"],
};

function word(key) {
  const [vi, en] = WORDS[key];
  return document.documentElement.lang === "en" ? en : vi;
}

// Revoke `token` on the server. True when it no longer works: revoked now, or already
// refused (expired, revoked elsewhere); false if the server could not be reached.
export async function signOut(token) {
  if (!token) return true;
  const response = await fetch(new URL("api/logout", document.baseURI), {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, Accept: "application/json" },
  }).catch(() => null);
  return Boolean(response && (response.ok || response.status === 401));
}

// In place of `form` (hidden meanwhile): who is signed in, "change password", "sign out".
// Signing out revokes the token, shows the form again and calls `onSignOut()`; without it
// the page is loaded again, which is how a page that keeps the token in a variable of its
// own forgets it.
export function showSignedIn(form, doc, { onSignOut } = {}) {
  form.parentElement.querySelector(".signed-in")?.remove();
  const bar = document.createElement("p");
  bar.className = "signed-in";
  const who = document.createElement("strong");
  who.textContent = doc.account;
  const link = document.createElement("a");
  link.href = new URL("accounts#my-password", document.baseURI).href;
  link.textContent = word("change_password");
  const button = document.createElement("button");
  button.type = "button";
  button.className = "sign-out";
  button.textContent = word("sign_out");
  bar.append(`${word("signed_in")}: `, who, " · ", link, " · ", button);
  button.addEventListener("click", async () => {
    button.disabled = true;
    const done = await signOut(doc.token);
    bar.remove();
    form.hidden = false;
    if (onSignOut) onSignOut(done);
    else window.location.reload();
  });
  form.hidden = true;
  form.after(bar);
  return bar;
}

// Sign in with the name and password in these fields: `{ ok, status, doc }` (the answer of
// POST /api/login). On success the form shows who is signed in (`showSignedIn`), unless
// `options.bar` is false; `options.onSignOut` as for `showSignedIn`.
export async function signIn(nameInput, passwordInput, options = {}) {
  const response = await fetch(new URL("api/login", document.baseURI), {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ name: nameInput.value.trim(), password: passwordInput.value }),
  });
  passwordInput.value = "";
  const doc = await response.json().catch(() => ({}));
  const form = nameInput.form;
  if (response.ok && doc.token && form && options.bar !== false) showSignedIn(form, doc, options);
  return { ok: response.ok, status: response.status, doc };
}
