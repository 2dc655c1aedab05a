// The options a page hands its script, from <script type="application/json" id="page-options">.
export function options() {
  const element = document.getElementById("page-options");
  return element ? JSON.parse(element.textContent) : {};
}
