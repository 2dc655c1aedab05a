import { api, show } from "./api.js";

function safeNext(next, fallback) {
  // Only a path on this site: a sign-in link cannot send anyone elsewhere.
  return typeof next === "string" && next.startsWith("/") && !next.startsWith("//") ? next : fallback;
}

export function signIn({ next }) {
  const ask = document.getElementById("ask");
  const confirm = document.getElementById("confirm");
  const status = document.getElementById("status");
  ask.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api("POST", "/api/v1/auth/sign-in-code", { phone: ask.phone.value.trim() });
      confirm.hidden = false;
      show(status, document.documentElement.lang === "en" ? "Code sent." : "验证码已发送。", "ok");
      confirm.code.focus();
    } catch (error) {
      show(status, error.message);
    }
  });
  confirm.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api("POST", "/api/v1/auth/resident", { phone: ask.phone.value.trim(), code: confirm.code.value.trim() });
      location.assign(safeNext(next, "/"));
    } catch (error) {
      show(status, error.message);
    }
  });
}

export function staffSignIn({ next }) {
  const form = document.getElementById("staff");
  const status = document.getElementById("status");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api("POST", "/api/v1/auth/staff", {
        username: form.username.value.trim(),
        password: form.password.value,
        one_time_password: form.one_time_password.value.trim(),
      });
      location.assign(safeNext(next, "/console"));
    } catch (error) {
      show(status, error.message);
    }
  });
}
