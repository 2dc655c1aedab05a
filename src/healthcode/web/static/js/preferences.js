// Large text and high contrast (S3): remembered on this device, applied before the page paints.
(function () {
  const root = document.documentElement;
  for (const name of ["large-text", "high-contrast"]) {
    if (localStorage.getItem("hc-" + name) === "on") root.classList.add(name);
  }
  document.addEventListener("DOMContentLoaded", function () {
    for (const button of document.querySelectorAll("[data-toggle]")) {
      const name = button.dataset.toggle;
      button.setAttribute("aria-pressed", String(root.classList.contains(name)));
      button.addEventListener("click", function () {
        const on = root.classList.toggle(name);
        localStorage.setItem("hc-" + name, on ? "on" : "off");
        button.setAttribute("aria-pressed", String(on));
      });
    }
  });
})();
