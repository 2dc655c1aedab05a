// The 12345 desk: record a call, and look up a caller's appeals when they call back.
// Server data is only ever set as text (never parsed as HTML).
import { api, show, say, fields, table } from "./console.js";

const names = JSON.parse(document.getElementById("appeal-names")?.textContent || "{}");
const named = (group, key) => {
  const name = (names[group] || {})[key];
  return name ? say(name.zh, name.en) : key;
};
const shortTime = (iso) => (iso ? iso.slice(0, 16).replace("T", " ") : "");

function element(tag, text, attributes = {}) {
  const made = document.createElement(tag);
  if (text !== undefined) made.textContent = text;
  for (const [name, value] of Object.entries(attributes)) made.setAttribute(name, value);
  return made;
}

function intake() {
  const form = document.getElementById("intake-form");
  if (!form) return;
  const status = document.getElementById("intake-status");
  const link = document.getElementById("intake-link");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    link.hidden = true;
    try {
      const filed = await api("POST", "/api/v1/appeals", fields(form));
      const merged = filed.merged ? say("，已并入未办结的申诉 #", "; merged into open appeal #") + filed.primary : "";
      const unit = named("tiers", filed.tier) + " " + named("regions", filed.region);
      show(status, say("已受理，编号 #", "Filed as no. ") + filed.appeal + merged + say("。承办：", ". Handled by: ") + unit + say("，时限 ", ", due ") + shortTime(filed.due_at), "ok");
      status.dataset.appeal = filed.appeal;
      const open = document.getElementById("intake-open");
      open.href = "/console/appeals/" + encodeURIComponent(filed.primary);
      link.hidden = false;
      form.reset();
    } catch (error) {
      show(status, error.message);
    }
  });
}

function timeline(events) {
  // The note as the appeal page names it (the API's detail_name), not its stored codes.
  const note = (e) => (e.detail_name ? say(e.detail_name.zh, e.detail_name.en) : e.detail);
  const rows = events.map((e) => [shortTime(e.at), named("events", e.kind), e.actor, note(e)]);
  return table([say("时间", "Time"), say("环节", "Step"), say("办理人", "By"), say("说明", "Detail")], rows);
}

function appealBlock(appeal) {
  const block = element("article", undefined, { class: "lookup-appeal", "data-appeal": appeal.appeal });
  const heading = element("h3");
  heading.appendChild(element("a", "#" + appeal.appeal, { href: "/console/appeals/" + encodeURIComponent(appeal.appeal) }));
  heading.append(" · " + named("categories", appeal.category) + " · ");
  heading.appendChild(element("span", named("statuses", appeal.status), { class: "status status-" + appeal.status, "data-status": appeal.status }));
  block.appendChild(heading);
  const facts = say("受理 ", "Filed ") + shortTime(appeal.opened_at) + say(" · 承办 ", " · handled by ") + named("tiers", appeal.tier) + " " + named("regions", appeal.region);
  block.appendChild(element("p", facts, { class: "muted" }));
  if (appeal.answer) {
    block.appendChild(element("p", say("答复：", "Answer: ") + say(appeal.answer.zh, appeal.answer.en), { class: "message ok lookup-answer" }));
  } else if (appeal.merged_into) {
    block.appendChild(element("p", say("已并入 #", "Merged into #") + appeal.merged_into, { class: "muted" }));
  }
  block.appendChild(timeline(appeal.events || []));
  return block;
}

function lookup() {
  const form = document.getElementById("lookup-form");
  if (!form) return;
  const status = document.getElementById("lookup-status");
  const results = document.getElementById("lookup-results");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    results.replaceChildren();
    try {
      const found = await api("POST", "/api/v1/appeals/lookup", fields(form));
      const count = found.appeals.length;
      show(status, count ? say("找到 ", "Found ") + count + say(" 件申诉。", " appeal(s).") : say("此证件没有申诉记录。", "No appeal for this document."), "ok");
      for (const appeal of found.appeals) results.appendChild(appealBlock(appeal));
      form.reset(); // the document number is not left on the screen
    } catch (error) {
      show(status, error.message);
    }
  });
}

intake();
lookup();
