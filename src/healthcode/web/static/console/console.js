// Shared by every console page: signing out, and small helpers for the pages' forms.
import { api, show } from "../js/api.js";

export const english = () => document.documentElement.lang === "en";
export const say = (zh, en) => (english() ? en : zh);

export { api, show };

const signOut = document.getElementById("sign-out");
if (signOut) {
  signOut.addEventListener("click", async () => {
    try {
      await api("POST", "/api/v1/auth/sign-out");
    } finally {
      location.assign("/console/sign-in");
    }
  });
}

// A form's fields as an object of trimmed strings (empty ones left out).
export function fields(form) {
  const values = {};
  for (const [name, value] of new FormData(form).entries()) {
    const text = String(value).trim();
    if (text) values[name] = text;
  }
  return values;
}

// A small table built with text nodes only: server data is never parsed as HTML.
export function table(headers, rows) {
  const element = document.createElement("table");
  const head = element.createTHead().insertRow();
  for (const text of headers) {
    const cell = document.createElement("th");
    cell.scope = "col";
    cell.textContent = text;
    head.appendChild(cell);
  }
  const body = element.createTBody();
  for (const row of rows) {
    const line = body.insertRow();
    for (const value of row) line.insertCell().textContent = value === null || value === undefined ? "" : String(value);
  }
  return element;
}
