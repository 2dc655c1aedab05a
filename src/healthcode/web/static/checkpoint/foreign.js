// Foreign certificates at the checkpoint (issue #15): recognised by their prefix, verified by the
// server against its trust files (the page holds no foreign keys), the verdict shown in Chinese and
// English together, since the traveller in front of the screen may read only one of them.

export const FOREIGN_PREFIXES = ["HC1:", "shc:/", "NZCP:/"];

export function isForeign(text) {
  return FOREIGN_PREFIXES.some((prefix) => text.startsWith(prefix));
}

const both = (text) => (text ? `${text.zh} / ${text.en}` : "");

function item(text, outcome) {
  const li = document.createElement("li");
  li.textContent = text;
  if (outcome !== undefined) li.dataset.outcome = outcome;
  return li;
}

// Fill the verdict's section: title, each check, the reasons, the facts (the name comes masked).
export function showVerdict(section, verdict, labels) {
  const title = labels.formats[verdict.format];
  section.querySelector("#foreign-title").textContent =
    `${both(title)}: ${both(labels.verdicts[String(verdict.valid)])}`;
  const checks = section.querySelector("#foreign-checks");
  checks.replaceChildren(
    ...Object.entries(verdict.checks).map(([name, passed]) =>
      item(`${both(labels.checks[name])}: ${both(labels.outcomes[String(passed)])}`, String(passed)),
    ),
  );
  section.querySelector("#foreign-reasons").replaceChildren(
    ...verdict.reasons.map((reason) => item(both(reason))),
  );
  section.querySelector("#foreign-facts").replaceChildren(
    ...verdict.facts.map((fact) =>
      item(
        `${both(labels.kinds[fact.kind])} · ${fact.country} · ${fact.occurred_at.slice(0, 10)} · ` +
          `${fact.holder_name} (${fact.holder_birth_date})`,
      ),
    ),
  );
  section.hidden = false;
}

export function hideVerdict(section) {
  section.hidden = true;
}
