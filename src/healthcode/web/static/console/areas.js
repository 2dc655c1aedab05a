// Risk areas and severe designations: one record each, sent as the feeds' batch (a JSON array).
// A change answers at once; the persons it reaches are re-evaluated by population jobs in the
// background, whose progress is followed here (GET /api/v1/area-jobs/{job}).
import { api, show, say, fields } from "./console.js";

// A datetime-local value is China time (the notice's time zone).
const instant = (value) => (value ? (value.length === 16 ? value + ":00" : value) + "+08:00" : undefined);
const number = (value) => Number(value).toLocaleString();
const pause = () => new Promise((resolve) => setTimeout(resolve, 1000));

function rejectedText(result) {
  const first = result.rejected[0];
  return say("未接受：", "Not accepted: ") + [first.field, first.reason].filter(Boolean).join(" — ");
}

// Where the jobs stand, added up: they answer one publication.
function progressText(jobs) {
  const sum = (key) => jobs.reduce((total, job) => total + job[key], 0);
  if (jobs.every((job) => job.finished)) {
    return say("已发布，受影响人员已重新赋码：评估 ", "Published; the persons reached are re-evaluated: ") +
      number(sum("evaluated")) + say(" 人，改变 ", " evaluated, ") + number(sum("changed")) + say(" 人。", " codes changed.");
  }
  return say("已发布，正在重新赋码：分区 ", "Published; re-evaluating: partitions ") +
    sum("partitions_done") + "/" + sum("partitions") + say("，已评估 ", ", evaluated ") +
    number(sum("evaluated")) + "/" + number(sum("persons")) + say(" 人。", ".");
}

// Every second until all have finished; the page is then reloaded to show the lists in force.
async function follow(status, jobs) {
  for (;;) {
    show(status, progressText(jobs), "ok");
    if (jobs.every((job) => job.finished)) break;
    await pause();
    try {
      jobs = await Promise.all(jobs.map((job) => (job.finished ? job : api("GET", "/api/v1/area-jobs/" + job.job))));
    } catch (error) {
      show(status, error.message);
      return;
    }
  }
  setTimeout(() => location.reload(), 1200);
}

function publish(formId, statusId, path, record) {
  const form = document.getElementById(formId);
  const status = document.getElementById(statusId);
  if (!form) return;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const result = await api("PUT", path, [record(fields(form))]);
      if (result.rejected && result.rejected.length) {
        show(status, rejectedText(result), "error");
      } else if (result.jobs && result.jobs.length) {
        await follow(status, result.jobs);
      } else {
        show(status, say("已发布，没有人员受影响。", "Published; no one's code is affected."), "ok");
        setTimeout(() => location.reload(), 1200);
      }
    } catch (error) {
      show(status, error.message);
    }
  });
}

// The page's own list: the unfinished jobs' bars move on until they are done.
async function followListed() {
  const rows = [...document.querySelectorAll('#area-jobs li[data-finished="false"]')];
  while (rows.length) {
    await pause();
    for (const row of [...rows]) {
      let job;
      try {
        job = await api("GET", "/api/v1/area-jobs/" + row.dataset.job);
      } catch {
        return;
      }
      const bar = row.querySelector("progress");
      bar.max = Math.max(job.persons, 1);
      bar.value = job.evaluated;
      bar.textContent = job.evaluated + "/" + job.persons;
      const state = row.querySelector(".job-state");
      if (job.finished) {
        state.textContent = say("已完成：评估 ", "Done: ") + number(job.evaluated) + say(" 人，改变 ", " persons evaluated, ") + number(job.changed) + say(" 人。", " codes changed.");
        row.dataset.finished = "true";
        rows.splice(rows.indexOf(row), 1);
      } else {
        row.querySelector(".job-partitions").textContent = job.partitions_done + "/" + job.partitions;
        row.querySelector(".job-evaluated").textContent = number(job.evaluated) + "/" + number(job.persons);
      }
    }
  }
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

followListed();
