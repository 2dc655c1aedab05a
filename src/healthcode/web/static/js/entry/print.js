// Print buttons on the paper-code page (an external file: no inline scripts under the CSP).
for (const button of document.querySelectorAll("[data-print]")) {
  button.addEventListener("click", () => window.print());
}
