// Rules: the draft editor (dry run, save draft) and the approval button on a draft's review page.
import { api, show, say, table } from "./console.js";

const COLOURS = { green: ["绿码", "Green"], yellow: ["黄码", "Yellow"], red: ["红码", "Red"] };
// As console/status.html names them.
const STATUS_NAMES = {
  approved: ["已审批（待生效）", "Approved (not yet in force)"],
  active: ["生效中", "In force"],
};
const colourName = (colour) => (colour ? say(...COLOURS[colour]) : say("尚未赋码", "No code yet"));

function documentFrom(textarea, status) {
  try {
    return JSON.parse(textarea.value);
  } catch (error) {
    show(status, say("规则文档不是有效的 JSON：", "The document is not valid JSON: ") + error.message);
    textarea.focus();
    return null;
  }
}

function showImpact(container, report) {
  container.replaceChildren();
  const heading = document.createElement("h3");
  heading.textContent = say("试算结果：", "Dry run: ") + report.ruleset + " · " + say("试算人数 ", "people evaluated ") + report.evaluated;
  container.appendChild(heading);
  if (!(report.changes || []).length) {
    // An empty table reads as "something failed": say plainly that nobody would change.
    const none = document.createElement("p");
    none.id = "impact-none";
    none.textContent = say("没有人会改变颜色。", "No one would change colour.");
    container.appendChild(none);
    return;
  }
  const moves = (list) => list.map((m) => [colourName(m.from), colourName(m.to), m.count]);
  const overall = table([say("原颜色", "From"), say("新颜色", "To"), say("人数", "People")], moves(report.changes));
  overall.id = "impact-table";
  container.appendChild(overall);
  const regions = Object.entries(report.by_region || {});
  if (regions.length) {
    const names = report.region_names || {};
    const named = (region) => (names[region] ? say(names[region].zh, names[region].en) : region);
    const rows = regions.flatMap(([region, list]) => moves(list).map((row) => [named(region), ...row]));
    const byRegion = table([say("地区", "Region"), say("原颜色", "From"), say("新颜色", "To"), say("人数", "People")], rows);
    byRegion.id = "impact-regions-table";
    container.appendChild(byRegion);
  }
}

function editor() {
  const form = document.getElementById("ruleset-editor");
  if (!form) return;
  const textarea = document.getElementById("ruleset-document");
  const status = document.getElementById("rules-status");
  const impact = document.getElementById("impact");
  document.getElementById("dry-run").addEventListener("click", async () => {
    const body = documentFrom(textarea, status);
    if (!body) return;
    show(status, say("正在试算……", "Running the dry run…"), "ok");
    try {
      showImpact(impact, await api("POST", "/api/v1/rulesets/dry-run", body));
      show(status, say("试算完成，未保存任何内容。", "Dry run done; nothing was stored."), "ok");
    } catch (error) {
      show(status, error.message);
    }
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = documentFrom(textarea, status);
    if (!body) return;
    try {
      const saved = await api("POST", "/api/v1/rulesets", body);
      show(status, say("草稿已保存：", "Draft saved: ") + saved.id + "@" + saved.version, "ok");
      location.assign("/console/rules/" + encodeURIComponent(saved.id) + "/" + encodeURIComponent(saved.version));
    } catch (error) {
      show(status, error.message);
    }
  });
}

function approval() {
  const button = document.getElementById("approve");
  if (!button) return;
  const review = document.getElementById("ruleset-review");
  const status = document.getElementById("approval-status");
  const path = "/api/v1/rulesets/" + encodeURIComponent(review.dataset.rulesetId) + "/" + encodeURIComponent(review.dataset.rulesetVersion) + "/approval";
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const result = await api("POST", path);
      show(status, say("已审批", "Approved"), "ok");
      button.hidden = true;
      const badge = document.querySelector("h1 .status");
      if (badge) {
        // The badge says what the version is now: no longer a draft.
        badge.dataset.status = result.status;
        badge.className = "status status-" + result.status;
        badge.textContent = STATUS_NAMES[result.status] ? say(...STATUS_NAMES[result.status]) : result.status;
      }
      const approver = document.getElementById("ruleset-approver");
      if (approver && result.approved_by) approver.textContent = result.approved_by;
      if (result.activation) followActivation(status, result.activation);
    } catch (error) {
      button.disabled = false;
      show(status, error.message);
    }
  });
}

// The activation runs in the background: its progress, every second, until it has finished.
async function followActivation(status, progress) {
  for (;;) {
    if (progress.finished) {
      show(status, say("已审批，已生效，改变颜色的人数：", "Approved; in force now, codes changed: ") + progress.changed, "ok");
      return;
    }
    show(status, say("已审批，正在全员重新评估：分区 ", "Approved; re-evaluating everyone: partitions ") + progress.partitions_done + "/" + progress.partitions + say("，已评估 ", ", evaluated ") + progress.evaluated + "/" + progress.persons, "ok");
    await new Promise((resolve) => setTimeout(resolve, 1000));
    try {
      progress = await api("GET", "/api/v1/rulesets/activations/" + progress.job);
    } catch (error) {
      show(status, error.message);
      return;
    }
  }
}

editor();
approval();
