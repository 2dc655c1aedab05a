// Starts the vendored Swagger UI on the API description (a file, so no script runs inline).
const root = document.getElementById("swagger-ui");
window.ui = window.SwaggerUIBundle({
  url: root.dataset.openapi,
  domNode: root,
  // Deep links put a link inside each operation's toggle button (axe: nested-interactive).
  deepLinking: false,
  presets: [window.SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
});
