// A paper certificate issued by the institution's own staff (S4): the form posts the document and
// the statement; the sheet shows the QR to print, and is cleared for the next person.
import { api, say, show } from "./console.js";

const form = document.getElementById("certificate-form");
const status = document.getElementById("certificate-status");
const sheet = document.getElementById("certificate-sheet");
const english = document.documentElement.lang === "en";

function clear() {
  sheet.hidden = true;
  document.getElementById("certificate-qr").removeAttribute("src");
  for (const id of ["certificate-name", "certificate-institution", "certificate-statement", "certificate-expires"]) {
    document.getElementById(id).textContent = "";
  }
  status.hidden = true;
}

if (form) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clear();
    const statement = form.querySelector("input[name=statement]:checked");
    try {
      const issued = await api("POST", "/api/v1/certificates", {
        id_type: form.id_type.value,
        id_number: form.id_number.value.trim(),
        statement: statement ? statement.value : "",
      });
      document.getElementById("certificate-qr").src = issued.qr_png;
      document.getElementById("certificate-name").textContent = issued.masked_name || "*";
      document.getElementById("certificate-institution").textContent = issued.institution;
      document.getElementById("certificate-statement").textContent = english ? issued.statement.en : issued.statement.zh;
      document.getElementById("certificate-expires").textContent = issued.expires_at.slice(0, 16).replace("T", " ");
      sheet.hidden = false;
      show(status, say("证明已开具，请打印后交给本人。", "Issued: print it and hand it to the person."), "ok");
      form.id_number.value = ""; // the number does not stay on the screen
    } catch (error) {
      show(status, error.message);
    }
  });
  document.getElementById("print-certificate").addEventListener("click", () => window.print());
  document.getElementById("next-certificate").addEventListener("click", clear);
}
