// Sign-in shared by the pages: an account name and password (POST /api/login) for a
// one-day token. The password field is emptied whatever the answer.
export async function signIn(nameInput, passwordInput) {
  const response = await fetch(new URL("api/login", document.baseURI), {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ name: nameInput.value.trim(), password: passwordInput.value }),
  });
  passwordInput.value = "";
  const doc = await response.json().catch(() => ({}));
  return { ok: response.ok, status: response.status, doc };
}
