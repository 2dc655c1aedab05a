// Staff accounts and department clients: create (the secret is shown once, here only) and disable.
import { api, show, say } from "./console.js";

function reveal(boxId, values) {
  for (const [id, text] of Object.entries(values)) document.getElementById(id).textContent = text;
  document.getElementById(boxId).hidden = false;
}

const clientForm = document.getElementById("client-form");
if (clientForm) {
  clientForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const status = document.getElementById("client-status");
    const data = new FormData(clientForm);
    const body = {
      id: String(data.get("id") || "").trim(),
      name: String(data.get("name") || "").trim(),
      department: String(data.get("department") || "").trim(),
      purpose: String(data.get("purpose") || "").trim(),
      categories: data.getAll("categories").map(String),
    };
    try {
      const created = await api("POST", "/api/v1/admin/clients", body);
      show(status, say("已登记：", "Registered: ") + created.id, "ok");
      reveal("client-secret", { "client-secret-value": created.client_secret });
      clientForm.reset();
    } catch (error) {
      show(status, error.message);
    }
  });
}

const staffForm = document.getElementById("staff-form");
if (staffForm) {
  staffForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const status = document.getElementById("staff-form-status");
    const data = new FormData(staffForm);
    const region = String(data.get("region") || "").trim();
    const body = { username: String(data.get("username") || "").trim(), roles: data.getAll("roles").map(String) };
    if (region) body.region = region;
    const institution = String(data.get("institution") || "");
    if (institution) body.institution = institution;
    try {
      const created = await api("POST", "/api/v1/admin/staff", body);
      show(status, say("已创建：", "Created: ") + created.username, "ok");
      reveal("staff-secret", { "staff-password": created.password, "staff-totp": created.totp_secret, "staff-otpauth": created.otpauth_uri || "" });
      staffForm.reset();
    } catch (error) {
      show(status, error.message);
    }
  });
}

function disabling(attribute, path, statusId) {
  for (const button of document.querySelectorAll("[" + attribute + "]")) {
    button.addEventListener("click", async () => {
      const status = document.getElementById(statusId);
      if (!confirm(say("确定停用？", "Disable it?"))) return;
      try {
        await api("POST", path(button.getAttribute(attribute)));
        show(status, say("已停用。", "Disabled."), "ok");
        button.replaceWith(document.createTextNode(say("已停用", "Disabled")));
      } catch (error) {
        show(status, error.message);
      }
    });
  }
}

disabling("data-disable-client", (id) => "/api/v1/admin/clients/" + encodeURIComponent(id) + "/disable", "clients-status");
disabling("data-disable-staff", (id) => "/api/v1/admin/staff/" + encodeURIComponent(id) + "/disable", "staff-status");
