import { api, show } from "./api.js";

function safeNext(next, fallback) {
  // Only a path on this site: a sign-in link cannot send anyone elsewhere.
  return typeof next === "string" && next.startsWith("/") && !next.startsWith("//") ? next : fallback;
}

export function signIn({ next }) {
  const ask = document.getElementById("ask");
  const confirm = document.getElementById("confirm");
  const status = document.getElementById("status");
  const english = document.documentElement.lang === "en";
  const send = ask.querySelector("button[type=submit]");
  ask.addEventListener("submit", async (event) => {
    event.preventDefault();
    const phone = ask.phone.value.trim();
    ask.phone.removeAttribute("aria-invalid");
    if (!phone) {
      // Said at once, where the number goes: no request for an empty field.
      ask.phone.setAttribute("aria-invalid", "true");
      show(status, english ? "Enter your mobile number." : "请输入手机号码。");
      ask.phone.focus();
      return;
    }
    try {
      await api("POST", "/api/v1/auth/sign-in-code", { phone });
      confirm.hidden = false;
      show(status, english ? "Code sent." : "验证码已发送。", "ok");
      confirm.code.focus();
    } catch (error) {
      show(status, error.message);
      if (error.field === "phone") ask.phone.setAttribute("aria-invalid", "true");
      if (error.retryAfter) holdButton(send, error.retryAfter, english);
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

// The send button waits as long as the server said (Retry-After), counting down on its label.
function holdButton(button, seconds, english) {
  const label = button.textContent;
  let left = seconds;
  const tick = () => {
    if (left <= 0) {
      button.disabled = false;
      button.textContent = label;
      return;
    }
    button.disabled = true;
    button.textContent = english ? `${label} (${left} s)` : `${label}（${left} 秒）`;
    left -= 1;
    setTimeout(tick, 1000);
  };
  tick();
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
