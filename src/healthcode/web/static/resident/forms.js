// The resident's forms: apply (self or family), report symptoms, appeal a code.
import { api, show } from "../js/api.js";

function text(lang, zh, en) {
  return lang === "en" ? en : zh;
}

function focusField(form, field) {
  const input = field && form.elements.namedItem(field);
  if (input && input.focus) {
    input.setAttribute("aria-invalid", "true");
    input.focus();
  }
}

export function applyForm({ lang }) {
  const form = document.getElementById("apply");
  const status = document.getElementById("status");
  const family = document.getElementById("family-fields");
  const nationality = document.getElementById("nationality-field");
  const sync = () => {
    family.hidden = !document.getElementById("for-family").checked;
    nationality.hidden = form.id_type.value === "resident_id";
  };
  form.addEventListener("change", sync);
  sync();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const forFamily = document.getElementById("for-family").checked;
    if (forFamily && !form.consent.checked) {
      show(status, text(lang, "请先确认已取得家人同意。", "Please confirm you have their consent."));
      form.consent.focus();
      return;
    }
    const body = {
      relationship: forFamily ? form.relationship.value : "self",
      id_type: form.id_type.value,
      id_number: form.id_number.value.trim(),
      name: form.elements.namedItem("name").value.trim(),
      consent: forFamily && form.consent.checked,
    };
    if (form.phone.value.trim()) body.phone = form.phone.value.trim();
    if (!nationality.hidden && form.nationality.value.trim()) body.nationality = form.nationality.value.trim();
    if (form.version.value) body.version = form.version.value;
    try {
      const result = await api("POST", "/api/v1/applications", body);
      if (result && result.status === "pending") {
        waitForCode(result.reference);
        return;
      }
      show(status, text(lang, "申领成功。", "Done."), "ok");
      location.assign("/");
    } catch (error) {
      show(status, error.message);
      focusField(form, error.field);
    }
  });
  const asked = new URLSearchParams(location.search).get("confirm");
  if (asked && /^[0-9A-Fa-f]{1,16}$/.test(asked)) waitForCode(asked);
}

// A binding that waits for proof: the code texted to the phone on record completes it (D2).
function waitForCode(reference) {
  const pending = document.getElementById("pending");
  const confirm = document.getElementById("confirm");
  const status = document.getElementById("confirm-status");
  document.getElementById("pending-reference").textContent = reference;
  pending.hidden = false;
  confirm.code.focus();
  confirm.onsubmit = async (event) => {
    event.preventDefault();
    try {
      await api("POST", `/api/v1/applications/${encodeURIComponent(reference)}/confirm`,
        { code: confirm.code.value.trim() });
      location.assign("/");
    } catch (error) {
      show(status, error.message);
    }
  };
}

export function symptomsForm({ lang }) {
  const form = document.getElementById("symptoms");
  const status = document.getElementById("status");
  const list = document.getElementById("symptom-list");
  const sync = () => { list.hidden = document.getElementById("action-resolved").checked; };
  form.addEventListener("change", sync);
  sync();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const action = document.getElementById("action-resolved").checked ? "resolved" : "report";
    const symptoms = [...form.querySelectorAll("input[name=symptom]:checked")].map((box) => box.value);
    if (action === "report" && symptoms.length === 0) {
      show(status, text(lang, "请至少选择一项症状。", "Choose at least one symptom."));
      return;
    }
    try {
      const result = await api("POST", `/api/v1/codes/${encodeURIComponent(form.dataset.personId)}/symptoms`,
        action === "report" ? { action, symptoms } : { action });
      const colours = { green: text(lang, "绿码", "green"), yellow: text(lang, "黄码", "yellow"), red: text(lang, "红码", "red") };
      show(status, text(lang, `已提交。当前健康码：${colours[result.colour]}。`,
        `Submitted. The code is now ${colours[result.colour]}.`), "ok");
    } catch (error) {
      show(status, error.message);
    }
  });
}

export function appealForm({ lang }) {
  const form = document.getElementById("appeal");
  const status = document.getElementById("status");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const words = form.text.value.trim();
    if (!words) {
      show(status, text(lang, "请说明情况。", "Please tell us what happened."));
      focusField(form, "text");
      return;
    }
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const result = await api("POST", `/api/v1/codes/${encodeURIComponent(form.dataset.personId)}/appeal`,
        { category: form.category.value, text: words, language: form.language.value });
      // The page shows the appeal's number (a repeat filing: the one it joined) and the list.
      location.assign(`${location.pathname}?filed=${result.primary}#filed`);
    } catch (error) {
      button.disabled = false;
      show(status, error.message);
      focusField(form, error.field);
    }
  });
}
