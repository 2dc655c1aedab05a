// Venues and devices: register them, and clear a device's flag after review.
import { api, show, say, fields } from "./console.js";

function onSubmit(formId, statusId, send) {
  const form = document.getElementById(formId);
  if (!form) return;
  const status = document.getElementById(statusId);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await send(fields(form));
      show(status, say("已登记。", "Registered."), "ok");
      setTimeout(() => location.reload(), 800);
    } catch (error) {
      show(status, error.message);
    }
  });
}

onSubmit("venue-form", "venue-status", (values) => api("POST", "/api/v1/venues", values));

onSubmit("device-form", "device-form-status", (values) => {
  let jwk;
  try {
    jwk = JSON.parse(values.public_jwk || "");
  } catch {
    return Promise.reject(new Error(say("公钥须为 JSON（JWK）。", "The key must be JSON (a JWK).")));
  }
  return api("POST", "/api/v1/venues/" + encodeURIComponent(values.venue_id) + "/devices", { id: values.id, public_jwk: jwk });
});

for (const button of document.querySelectorAll("[data-clear]")) {
  button.addEventListener("click", async () => {
    const status = document.getElementById("device-status");
    try {
      await api("POST", "/api/v1/devices/" + encodeURIComponent(button.dataset.clear) + "/flag-clearance");
      show(status, say("已解除标记。", "Flag cleared."), "ok");
      setTimeout(() => location.reload(), 800);
    } catch (error) {
      show(status, error.message);
    }
  });
}
