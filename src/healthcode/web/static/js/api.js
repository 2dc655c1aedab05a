// One way to call the API from a page: JSON in, JSON out, errors as the server's message.
export async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    credentials: "same-origin",
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const error = new Error(data && data.error ? data.error.message : response.statusText);
    error.code = data && data.error ? data.error.code : "http_" + response.status;
    error.field = data && data.error ? data.error.field : undefined;
    error.status = response.status;
    // A 429's Retry-After: how many seconds until the same request may succeed.
    error.retryAfter = Number(response.headers.get("Retry-After")) || undefined;
    throw error;
  }
  return data;
}

export function show(element, text, kind) {
  element.textContent = text;
  element.className = "message " + (kind || "error");
  element.hidden = false;
}
