// One ingest job, followed live: the job as stored first (so an unknown id is said plainly),
// then the ingestProgress subscription, which sends the current state and every later one
// (metric results arrive one by one while the model is scored) until DONE or FAILED.

import { h, replace, errorBox } from "../dom.js";
import { gql, subscribe } from "../api.js";
import { go } from "../app.js";
import * as fmt from "../format.js";

const PROGRESS = `fragment Progress on IngestStatus {
  id state url type name requester sourceKey attempts gateMode
  history { state at }
  files { path doneBytes totalBytes }
  partialScores { name score applicable notApplicableReason error latencySeconds }
  netScore
  gate { passed policyVersion threshold failures { metric score required gap detail } skipped }
  error { code message existingId }
  artifact { id name }
}`;
const JOB = `query Job($id: ID!) { ingestJob(id: $id) { ...Progress } }\n${PROGRESS}`;
const FOLLOW = `subscription Follow($jobId: ID!) { ingestProgress(jobId: $jobId) { ...Progress } }\n${PROGRESS}`;

const STEPS = ["QUEUED", "FETCHING", "SCORING", "GATED", "MIRRORING", "STORING"];
const TERMINAL = new Set(["DONE", "FAILED"]);
const SAYS = {
  QUEUED: "waiting for a worker",
  FETCHING: "fetching the repository from upstream",
  SCORING: "scoring the trust metrics",
  GATED: "the quality gate has decided",
  MIRRORING: "copying the model's files into the registry",
  STORING: "storing the bundle",
  DONE: "the artifact is stored",
  FAILED: "nothing was stored",
};
const MODES = {
  ENFORCE: "enforce (a failing model is not stored)",
  AUDIT: "audit (stored with the decision on its rating)",
  OFF: "off (stored whatever the decision)",
};

export async function render(root, { params }) {
  const { ingestJob } = await gql(JOB, { id: params.id });
  if (!ingestJob) {
    root.append(
      h("h1", {}, "Ingest job not found"),
      h("p", {}, `There is no ingest job with the id ${params.id}. `, h("a", { href: "#/ingest" }, "Start an ingest"), "."),
    );
    return null;
  }

  const status = h("p", { class: "job-status", role: "status", "aria-live": "polite", "data-testid": "job-state" });
  // The page sits in the shell's polite live region; these parts change with every event and
  // are kept quiet, so a screen reader hears the status line once per state instead.
  const facts = h("dl", { class: "facts" });
  const states = h("ol", { class: "states", "aria-label": "Progress", "aria-live": "off" });
  const metrics = h("div", { "aria-live": "off" });
  const copies = h("div", { "aria-live": "off" });
  const gate = h("div", { "aria-live": "off" });
  const outcome = h("div", { "data-testid": "job-outcome" });
  const trouble = h("div");
  root.append(
    h("h1", {}, `Ingest of ${ingestJob.name || ingestJob.url}`),
    status,
    states,
    outcome,
    trouble,
    gate,
    copies,
    metrics,
    h("h2", {}, "Job"),
    h("div", { class: "card", "aria-live": "off" }, facts),
  );

  let said = null;
  function draw(job) {
    if (job.state !== said) {
      said = job.state;
      status.textContent = `${job.state}: ${SAYS[job.state] || "in progress"}.`;
    }
    replace(states, stateItems(job));
    replace(facts, factItems(job));
    replace(metrics, metricTable(job));
    replace(gate, job.gate ? gateView(job) : null);
    replace(copies, job.files.length ? fileCopies(job) : null);
    replace(outcome, outcomeView(job));
  }

  draw(ingestJob);
  if (TERMINAL.has(ingestJob.state)) return null;

  return subscribe(
    FOLLOW,
    { jobId: ingestJob.id },
    {
      onData: (data) => draw(data.ingestProgress),
      onError: (err) =>
        replace(
          trouble,
          errorBox(err),
          h("p", {}, "Live progress stopped; the job itself goes on. "),
          h("button", { type: "button", class: "secondary", onclick: () => go(`/jobs/${encodeURIComponent(ingestJob.id)}`) }, "Reload"),
        ),
    },
  );
}

function stateItems(job) {
  const at = {};
  for (const change of job.history) at[change.state] = change.at;
  const end = job.state === "FAILED" ? "FAILED" : "DONE";
  return [...STEPS, end].map((state) => {
    const reached = state in at;
    const classes = [reached ? "reached" : "", state === "FAILED" ? "failed" : ""].filter(Boolean).join(" ");
    return h(
      "li",
      { class: classes || null, "aria-current": state === job.state ? "step" : null, "data-state": state },
      state,
      reached
        ? [" ", h("time", { datetime: at[state] }, clock(at[state]))]
        : h("span", { class: "sr-only" }, " (not reached)"),
    );
  });
}

function clock(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleTimeString();
}

function factItems(job) {
  return [
    fact("Upstream", h("a", { href: job.url, rel: "noopener noreferrer" }, job.url)),
    fact("Repository", job.sourceKey),
    fact("Type", job.type),
    fact("Requested by", job.requester),
    fact("Gate mode", MODES[job.gateMode] || job.gateMode),
    job.attempts > 1 ? fact("Attempts", String(job.attempts)) : null,
    fact("Job id", h("code", {}, job.id)),
  ];
}

function fact(term, value) {
  return [h("dt", {}, term), h("dd", {}, value)];
}

// One bar per file while the model's files are copied into the registry (MIRRORING).
function fileCopies(job) {
  return [
    h("h2", {}, "Files"),
    h(
      "ul",
      { class: "copies", "data-testid": "file-copies" },
      job.files.map((f) =>
        h(
          "li",
          {},
          h("label", {}, h("code", {}, f.path), " ", `${fmt.bytes(f.doneBytes)} of ${fmt.bytes(f.totalBytes)}`,
            h("progress", { max: String(Math.max(f.totalBytes, 1)), value: String(f.doneBytes) })),
        ),
      ),
    ),
  ];
}

function metricTable(job) {
  const scores = job.partialScores;
  const heading = h("h2", {}, "Metrics");
  if (!scores.length) {
    const note = job.type === "MODEL" && !TERMINAL.has(job.state) ? "No metric has finished yet." : "No metrics.";
    return [heading, h("p", { class: "muted" }, note)];
  }
  return [
    heading,
    h("p", { class: "muted" }, `${scores.length} finished, in the order they completed.`),
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "job-metrics" },
        h(
          "thead",
          {},
          h("tr", {}, h("th", { scope: "col" }, "Metric"), h("th", { scope: "col" }, "Score"), h("th", { scope: "col" }, "Applies"), h("th", { scope: "col", class: "optional" }, "Latency")),
        ),
        h("tbody", {}, scores.map(metricRow)),
      ),
    ),
    job.netScore === null || job.netScore === undefined
      ? null
      : h("p", { class: "job-net-score", "data-testid": "net-score" }, "Net score: ", h("strong", {}, fmt.score(job.netScore))),
  ];
}

function metricRow(m) {
  const applies = m.applicable
    ? h("span", { class: "badge pass" }, "yes")
    : [h("span", { class: "badge na" }, "no"), " ", m.notApplicableReason || ""];
  return h(
    "tr",
    { "data-metric": m.name },
    h("th", { scope: "row" }, m.name),
    h("td", {}, m.applicable ? scoreBar(m.score) : "—", m.error ? h("div", { class: "metric-error" }, `Not computed: ${m.error}`) : null),
    h("td", {}, applies),
    h("td", { class: "optional" }, fmt.seconds(m.latencySeconds)),
  );
}

function scoreBar(value) {
  const width = Math.max(0, Math.min(1, Number(value))) * 100;
  return [h("span", { class: "bar", "aria-hidden": "true" }, h("span", { style: `width: ${width}%` })), " ", fmt.score(value)];
}

function gateView(job) {
  const decision = job.gate;
  const verdict = decision.passed
    ? h("span", { class: "badge pass" }, "passed")
    : h("span", { class: "badge fail" }, "failed");
  const parts = [
    h("h2", {}, "Gate"),
    h(
      "p",
      { "data-testid": "gate-verdict" },
      "The quality gate ",
      verdict,
      ` under policy ${decision.policyVersion} (net score at least ${fmt.score(decision.threshold)}), mode ${MODES[job.gateMode] || job.gateMode}.`,
    ),
  ];
  if (decision.failures.length) {
    parts.push(
      h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          { class: "gate-failures" },
          h("caption", {}, "Requirements not met"),
          h(
            "thead",
            {},
            h("tr", {}, h("th", { scope: "col" }, "Metric"), h("th", { scope: "col" }, "Score"), h("th", { scope: "col" }, "Required"), h("th", { scope: "col" }, "Gap")),
          ),
          h(
            "tbody",
            {},
            decision.failures.map((f) =>
              h(
                "tr",
                { "data-failure": f.metric },
                h("th", { scope: "row" }, f.metric, f.detail ? h("div", { class: "muted failure-detail" }, f.detail) : null),
                h("td", {}, fmt.score(f.score)),
                h("td", {}, fmt.score(f.required)),
                h("td", {}, fmt.score(f.gap)),
              ),
            ),
          ),
        ),
      ),
    );
  }
  if (decision.skipped.length) {
    parts.push(h("p", { class: "muted" }, `Not counted (the metric does not apply): ${decision.skipped.join(", ")}.`));
  }
  return parts;
}

function outcomeView(job) {
  if (job.state === "DONE" && job.artifact) {
    return h(
      "p",
      { class: "notice" },
      "Stored as ",
      h("a", { href: `#/artifact/${encodeURIComponent(job.artifact.id)}`, "data-testid": "artifact-link" }, job.artifact.name),
      ".",
    );
  }
  if (job.state === "FAILED" && job.error) {
    return [
      errorBox(job.error),
      job.error.existingId
        ? h("p", {}, h("a", { href: `#/artifact/${encodeURIComponent(job.error.existingId)}` }, "Open the artifact already registered"), ".")
        : null,
      h("p", {}, h("a", { href: "#/ingest" }, "Ingest another")),
    ];
  }
  return null;
}
