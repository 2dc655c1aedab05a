// One appeal's steps: add or retract a fact, reject, ask for and approve an override, answer.
// Each posts to /api/v1/appeals/{primary}/…; the page reloads to show the new timeline.
import { api, show, say, fields } from "./console.js";

const section = document.getElementById("appeal-actions");
const status = document.getElementById("action-status");
const base = section ? "/api/v1/appeals/" + encodeURIComponent(section.dataset.primaryId) : "";
const COLOURS = { green: ["绿码", "green"], yellow: ["黄码", "yellow"], red: ["红码", "red"] };
const colourName = (colour) => (colour && COLOURS[colour] ? say(...COLOURS[colour]) : say("尚未赋码", "no code"));

// A datetime-local value is Zhejiang time (the console's display zone): give it its offset.
function instant(local) {
  if (!local) return local;
  return (local.length === 16 ? local + ":00" : local) + "+08:00";
}

function changed(result) {
  return say("健康码：", "Code: ") + colourName(result.colour_before) + " → " + colourName(result.colour_after);
}

function onSubmit(formId, path, body, done) {
  const form = document.getElementById(formId);
  if (!form) return;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const result = await api("POST", base + path, body(fields(form)));
      show(status, done(result), "ok");
      setTimeout(() => location.reload(), 1200);
    } catch (error) {
      button.disabled = false;
      show(status, error.message);
      status.scrollIntoView({ block: "nearest" });
    }
  });
}

function rawFact(values) {
  try {
    return JSON.parse(values.fact || "");
  } catch {
    throw new Error(say("事实须为 JSON：{type, payload, occurred_at}。", "The fact must be JSON: {type, payload, occurred_at}."));
  }
}

onSubmit(
  "test-form",
  "/facts",
  (v) => ({ type: "test", payload: { kind: v.kind, result: v.result, sampled_at: instant(v.sampled_at) }, occurred_at: instant(v.occurred_at) }),
  (r) => say("已补录检测结果。", "Test result added. ") + changed(r),
);
onSubmit("fact-form", "/facts", rawFact, (r) => say("已补录事实。", "Fact added. ") + changed(r));
onSubmit("retract-form", "/retractions", (v) => v, (r) => say("已撤销。", "Retracted. ") + changed(r));
onSubmit("reject-form", "/rejection", (v) => v, () => say("已不予支持，请发送答复。", "Rejected; now send the answer."));
onSubmit(
  "override-form",
  "/override",
  (v) => ({ colour: v.colour, authority: v.authority, expires_at: instant(v.expires_at) }),
  () => say("赋码申请已提交，待另一人审批。", "Override requested; a second person must approve it."),
);
onSubmit("answer-form", "/answer", (v) => v, (r) =>
  (r.already ? say("此前已答复：", "Already answered: ") : say("已答复：", "Answered: ")) + say(r.answer.zh, r.answer.en),
);

const approve = document.getElementById("approve-override");
if (approve) {
  approve.addEventListener("click", async () => {
    approve.disabled = true;
    try {
      const result = await api("POST", base + "/override/approval");
      show(status, say("赋码已审批。", "Override approved. ") + changed(result), "ok");
      setTimeout(() => location.reload(), 1200);
    } catch (error) {
      approve.disabled = false;
      show(status, error.message);
    }
  });
}
