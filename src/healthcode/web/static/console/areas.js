// Risk areas and severe designations: one record each, sent as the feeds' batch (a JSON array).
import { api, show, say, fields } from "./console.js";

// A datetime-local value is China time (the notice's time zone).
const instant = (value) => (value ? (value.length === 16 ? value + ":00" : value) + "+08:00" : undefined);

function report(result) {
  if (result.rejected && result.rejected.length) {
    const first = result.rejected[0];
    return say("未接受：", "Not accepted: ") + [first.field, first.reason].filter(Boolean).join(" — ");
  }
  return say("已发布，受影响重新赋码人数：", "Published; codes re-evaluated: ") + (result.reevaluated ?? 0);
}

function publish(formId, statusId, path, record) {
  const form = document.getElementById(formId);
  const status = document.getElementById(statusId);
  if (!form) return;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const result = await api("PUT", path, [record(fields(form))]);
      const refused = result.rejected && result.rejected.length;
      show(status, report(result), refused ? "error" : "ok");
      if (!refused) setTimeout(() => location.reload(), 1200);
    } catch (error) {
      show(status, error.message);
    }
  });
}

publish("risk-area-form", "area-status", "/api/v1/risk-areas", (values) => ({
  region: values.region,
  level: values.level,
  effective_from: instant(values.effective_from),
  effective_to: instant(values.effective_to),
}));

publish("designation-form", "designation-status", "/api/v1/severe-designations", (values) => ({
  designation_id: values.designation_id,
  region: values.region,
  venue_id: values.venue_id,
  lookback_days: Number(values.lookback_days),
  effective_from: instant(values.effective_from),
  effective_to: instant(values.effective_to),
  approved_by: values.approved_by,
  assessment_ref: values.assessment_ref,
}));
