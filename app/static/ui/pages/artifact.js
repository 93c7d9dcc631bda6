// One artifact: what it is, its rating and the gate's decision, what it costs to download, a
// licence check against a GitHub project, and who did what to it.

import { h, svg, replace, errorBox, loading } from "../dom.js";
import { gql, payloadError, session, ApiError } from "../api.js";
import { go, notify } from "../app.js";
import { score, bytes, megabytes, date, seconds } from "../format.js";

// downloadUrl is not asked for here: issuing a link is the DOWNLOAD the audit log records, so
// it is fetched only when the user presses Download.
const ARTIFACT = `query Artifact($id: ID!) {
  artifact(id: $id) {
    id name type sourceUrl sourceKey revision license sizeBytes readme createdAt createdBy
    codeRepo datasets metadataFetched gatePassed gateMode
    parents { name source artifactId }
    children { id name }
    rating {
      netScore scorerVersion weightsVersion
      sizeScore { raspberryPi jetsonNano desktopPc awsServer }
      metrics { name score latencySeconds evidence explanation applicable notApplicableReason error }
      gate { passed policyVersion threshold skipped failures { metric score required gap detail } }
    }
    ratingHistory { at reason note netScore gatePassed scorerVersion moved { metric before after } }
    storedBytes
    files { path sizeBytes part held reason upstreamUrl }
  }
}`;

const DOWNLOAD = `query Download($id: ID!, $part: PackagePart!) {
  artifact(id: $id) { id downloadUrl(part: $part) }
}`;

const PARTS = [
  ["FULL", "the full package"],
  ["WEIGHTS", "the weights"],
  ["CARD", "card, config and tokenizer"],
  ["DATASETS", "the linked datasets"],
];

const COST = `query Cost($id: ID!) {
  alone: cost(id: $id, withDependencies: false) { standaloneMb totalMb }
  withDeps: cost(id: $id, withDependencies: true) {
    standaloneMb totalMb
    items { artifact { id name type } standaloneMb reason }
  }
}`;

const LICENSE_CHECK = `query LicenseCheck($id: ID!, $url: String!) {
  licenseCheck(id: $id, githubUrl: $url) {
    __typename
    ... on LicenseVerdict { verdict modelLicense repoLicense reason githubRepo policyVersion }
    ... on Error { code message }
  }
}`;

const AUDIT = `query Audit($id: ID!, $first: Int, $after: String) {
  auditLog(artifactId: $id, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { user date action } }
  }
}`;

const DELETE = `mutation Delete($id: ID!) {
  deleteArtifact(id: $id) {
    deletedId
    error { __typename ... on Error { code message } }
  }
}`;

const AUDIT_PAGE = 10;

const DEVICES = [
  ["raspberryPi", "Raspberry Pi"],
  ["jetsonNano", "Jetson Nano"],
  ["desktopPc", "Desktop PC"],
  ["awsServer", "AWS server"],
];

const VERDICT_BADGE = { COMPATIBLE: "pass", NEEDS_REVIEW: "warn", INCOMPATIBLE: "fail" };

function fact(term, ...value) {
  return [h("dt", {}, term), h("dd", {}, ...value)];
}

function externalLink(href, text) {
  return h("a", { href, rel: "noopener noreferrer", target: "_blank" }, text);
}

function gateBadge(passed) {
  if (passed === true) return h("span", { class: "badge pass" }, "gate passed");
  if (passed === false) return h("span", { class: "badge fail" }, "gate failed");
  return null;
}

function scoreBar(value) {
  const width = Math.max(0, Math.min(1, Number(value))) * 100;
  return h("span", { class: "bar", "aria-hidden": "true" }, h("span", { style: `width: ${width.toFixed(0)}%` }));
}

function parentItem(parent) {
  const how = h("span", { class: "muted" }, ` (${parent.source.replace(/_/g, " ")})`);
  if (parent.artifactId) {
    return h("li", {}, h("a", { href: `#/artifact/${encodeURIComponent(parent.artifactId)}` }, parent.name), how);
  }
  return h("li", {}, parent.name, " ", h("span", { class: "badge na" }, "not registered"), how);
}

function details(a) {
  const codeRepo = a.codeRepo ? externalLink(`https://github.com/${a.codeRepo}`, a.codeRepo) : "none linked";
  return h(
    "section",
    { class: "card", "aria-labelledby": "facts-heading" },
    h("h2", { id: "facts-heading" }, "Details"),
    h(
      "dl",
      { class: "facts" },
      fact("Type", a.type),
      fact("Source", externalLink(a.sourceUrl, a.sourceUrl)),
      fact("Revision", a.revision ? h("code", {}, a.revision) : "—"),
      fact("Licence", a.license || "none declared"),
      fact("Size", bytes(a.sizeBytes)),
      fact("Created", date(a.createdAt), " by ", a.createdBy),
      a.type === "MODEL" ? fact("Code repository", codeRepo) : null,
      a.type === "MODEL" ? fact("Datasets", a.datasets.length ? a.datasets.join(", ") : "none named") : null,
      a.type === "MODEL"
        ? fact("Parents", a.parents.length ? h("ul", { class: "plain" }, a.parents.map(parentItem)) : "none named")
        : null,
      a.children.length
        ? fact(
            "Fine-tunes",
            h(
              "ul",
              { class: "plain" },
              a.children.map((c) => h("li", {}, h("a", { href: `#/artifact/${encodeURIComponent(c.id)}` }, c.name))),
            ),
          )
        : null,
      a.metadataFetched ? null : fact("Note", "A reference only: nothing about it was fetched or verified."),
    ),
    a.readme
      ? h("details", { class: "readme" }, h("summary", {}, "README"), h("pre", {}, a.readme))
      : null,
  );
}

/** A snake_case name that may wrap after its underscores (narrow screens), nowhere else. */
function breakable(name) {
  return name.split("_").flatMap((part, i) => (i === 0 ? [part] : ["_", h("wbr"), part]));
}

/** The score, or why there is none that counts. */
function metricScore(m) {
  if (m.error) return [h("span", { class: "badge warn" }, "error"), " ", score(m.score)];
  if (!m.applicable) return h("span", { class: "badge na", title: "Counted in neither the net score nor the gate" }, "does not apply");
  return [scoreBar(m.score), " ", score(m.score)];
}

function metricRows(m) {
  const summary = h(
    "tr",
    {},
    h("th", { scope: "row" }, breakable(m.name)),
    h("td", {}, metricScore(m)),
    h("td", { class: "optional" }, seconds(m.latencySeconds)),
  );
  const more = h(
    "tr",
    { class: "metric-details" },
    h(
      "td",
      { colspan: "3" },
      h(
        "details",
        {},
        h("summary", {}, `Evidence for ${m.name}`),
        h("p", {}, m.explanation),
        m.notApplicableReason ? h("p", {}, h("strong", {}, "Does not apply: "), m.notApplicableReason) : null,
        m.error ? h("p", { class: "error" }, "Could not be computed: ", m.error) : null,
        m.evidence.length
          ? h("ul", { class: "evidence" }, m.evidence.map((line) => h("li", {}, line)))
          : h("p", { class: "muted" }, "No evidence recorded."),
        h("p", { class: "muted" }, `Computed in ${seconds(m.latencySeconds)}.`),
      ),
    ),
  );
  return [summary, more];
}

function ratingSection(a) {
  const r = a.rating;
  const sizes = r.sizeScore
    ? h(
        "dl",
        { class: "facts" },
        DEVICES.map(([key, label]) => fact(label, scoreBar(r.sizeScore[key]), " ", score(r.sizeScore[key]))),
      )
    : h("p", { class: "muted" }, "No size score.");
  return h(
    "section",
    { class: "card", "aria-labelledby": "rating-heading" },
    h("h2", { id: "rating-heading" }, "Rating"),
    h(
      "p",
      { class: "net-score" },
      "Net score ",
      h("strong", { "data-testid": "net-score" }, score(r.netScore)),
      " ",
      scoreBar(r.netScore),
      h("span", { class: "muted" }, ` · scorer ${r.scorerVersion}, weights ${r.weightsVersion}`),
    ),
    h("h3", {}, "Size score per device"),
    sizes,
    h("h3", {}, "Metrics"),
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "metrics" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", { scope: "col" }, "Metric"),
            h("th", { scope: "col" }, "Score"),
            h("th", { scope: "col", class: "optional" }, "Latency"),
          ),
        ),
        h("tbody", {}, r.metrics.map(metricRows)),
      ),
    ),
  );
}

function gateSection(a) {
  const gate = a.rating.gate;
  if (!gate) {
    return h(
      "section",
      { class: "card", "aria-labelledby": "gate-heading" },
      h("h2", { id: "gate-heading" }, "Gate decision"),
      h("p", { class: "muted" }, "The gate did not decide on this rating."),
    );
  }
  const failures = gate.failures.length
    ? h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          { class: "gate-failures" },
          h("caption", {}, "Failing metrics"),
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              ["Metric", "Score", "Required", "Gap"].map((t) => h("th", { scope: "col" }, t)),
            ),
          ),
          h(
            "tbody",
            {},
            gate.failures.map((f) =>
              h("tr", {}, h("th", { scope: "row" }, f.metric, detail(f)), h("td", {}, score(f.score)), h("td", {}, score(f.required)), h("td", {}, score(f.gap))),
            ),
          ),
        ),
      )
    : h("p", {}, "Every counted metric meets its threshold.");
  return h(
    "section",
    { class: "card", "aria-labelledby": "gate-heading" },
    h("h2", { id: "gate-heading" }, "Gate decision ", gateBadge(gate.passed)),
    h(
      "dl",
      { class: "facts" },
      fact("Policy version", h("code", {}, gate.policyVersion)),
      fact("Threshold", score(gate.threshold)),
      fact("Gate mode", a.gateMode || "—"),
      fact("Not counted", gate.skipped.length ? gate.skipped.join(", ") : "none (every metric applied)"),
    ),
    failures,
  );
}

const REASONS = {
  INGEST: "ingested",
  UPDATE: "updated",
  UPSTREAM_CHANGED: "upstream changed",
  PARENT_RERATED: "parent re-rated",
  SCORER_UPGRADED: "scorer upgraded",
  ON_REQUEST: "rescored on request",
};

// The net score of each rating, oldest to newest, as a line over [0, 1].
function trend(history) {
  const W = 240, H = 48, PAD = 4;
  const x = (i) => PAD + (history.length === 1 ? (W - 2 * PAD) / 2 : (i * (W - 2 * PAD)) / (history.length - 1));
  const y = (v) => PAD + (1 - v) * (H - 2 * PAD);
  const points = history.map((r, i) => `${x(i).toFixed(1)},${y(r.netScore).toFixed(1)}`).join(" ");
  const first = history[0].netScore, last = history[history.length - 1].netScore;
  return svg(
    "svg",
    { class: "trend", viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img",
      "aria-label": `Net score from ${score(first)} to ${score(last)} over ${history.length} ratings` },
    svg("line", { x1: PAD, x2: W - PAD, y1: y(0.5), y2: y(0.5), class: "threshold" }),
    svg("polyline", { points, fill: "none" }),
    ...history.map((r, i) => svg("circle", { cx: x(i), cy: y(r.netScore), r: 3 }, svg("title", {}, `${date(r.at)}: ${score(r.netScore)}`))),
  );
}

function moves(record) {
  if (!record.moved.length) return "—";
  const value = (v) => (v === null ? "n/a" : score(v));
  return h("ul", { class: "moves" }, record.moved.map((m) => h("li", { "data-metric": m.metric }, breakable(m.metric), ` ${value(m.before)} → ${value(m.after)}`)));
}

// What a failing check found where its score does not say it (weights_safety: file and import).
function detail(failure) {
  return failure.detail ? h("div", { class: "muted failure-detail" }, failure.detail) : null;
}

function historySection(a) {
  if (!a.ratingHistory.length) return null;
  return h(
    "section",
    { class: "card", "aria-labelledby": "history-heading" },
    h("h2", { id: "history-heading" }, "Rating history"),
    h("p", { class: "muted" }, "Every rating the model was given, oldest first (the last is the current one): why it was made and which metrics moved."),
    trend(a.ratingHistory),
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "history" },
        h(
          "thead",
          {},
          h("tr", {}, h("th", { scope: "col" }, "Rated"),
            h("th", { scope: "col" }, "Why"),
            h("th", { scope: "col" }, "Net score"),
            h("th", { scope: "col" }, "Moved"),
            h("th", { scope: "col", class: "optional" }, "Gate"),),
        ),
        h(
          "tbody",
          {},
          a.ratingHistory.map((r) =>
            h(
              "tr",
              { "data-reason": r.reason },
              h("td", {}, h("time", { datetime: r.at, title: date(r.at) },
                new Date(r.at).toLocaleString(undefined, { dateStyle: "short", timeStyle: "short" }))),
              h("td", {}, REASONS[r.reason] || r.reason, r.note ? h("div", { class: "muted" }, r.note) : null),
              h("td", {}, score(r.netScore)),
              h("td", {}, moves(r)),
              h("td", { class: "optional" }, gateBadge(r.gatePassed) || "—"),
            ),
          ),
        ),
      ),
    ),
  );
}

// The model's files: those the registry holds (copied after its gate, checked against the hub's
// checksums) and those left upstream, with why and where.
function filesSection(a) {
  const held = a.files.filter((f) => f.held).length;
  return h(
    "section",
    { class: "card", "aria-labelledby": "files-heading" },
    h("h2", { id: "files-heading" }, "Files"),
    h("p", { class: "muted" }, `The registry holds ${held} of ${a.files.length} files (${bytes(a.storedBytes)}).`),
    h(
      "div",
      { class: "table-wrap" },
      h(
      "table",
      { class: "files", "data-testid": "artifact-files" },
      h("thead", {}, h("tr", {}, ["File", "Size", "Part", "Held"].map((t) => h("th", { scope: "col" }, t)))),
      h(
        "tbody",
        {},
        a.files.map((f) =>
          h(
            "tr",
            { "data-held": String(f.held) },
            h("td", {}, h("code", {}, breakable(f.path))),
            h("td", {}, bytes(f.sizeBytes)),
            h("td", {}, f.part.toLowerCase()),
            h(
              "td",
              {},
              f.held ? "in the registry" : [f.reason, " ", externalLink(f.upstreamUrl, "upstream")],
            ),
          ),
        ),
      ),
      ),
    ),
  );
}

function costSection(a) {
  const body = h("div", {}, loading("Working out the download cost"));
  gql(COST, { id: a.id })
    .then(({ alone, withDeps }) => {
      const dependencies = withDeps.items.filter((item) => item.reason !== "self");
      replace(
        body,
        h(
          "dl",
          { class: "facts" },
          fact("This artifact alone", h("strong", { "data-testid": "cost-alone" }, megabytes(alone.totalMb))),
          fact("With dependencies", h("strong", { "data-testid": "cost-total" }, megabytes(withDeps.totalMb))),
        ),
        dependencies.length
          ? h(
              "ul",
              { class: "plain" },
              dependencies.map((item) =>
                h(
                  "li",
                  {},
                  h("a", { href: `#/artifact/${encodeURIComponent(item.artifact.id)}` }, item.artifact.name),
                  ` (${item.reason}): ${megabytes(item.standaloneMb)}`,
                ),
              ),
            )
          : h("p", { class: "muted" }, "No registered dependencies."),
      );
    })
    .catch((err) => replace(body, errorBox(err)));
  return h(
    "section",
    { class: "card", "aria-labelledby": "cost-heading" },
    h("h2", { id: "cost-heading" }, "Download cost"),
    body,
  );
}

function licenseSection(a) {
  const input = h("input", {
    id: "license-url",
    name: "githubUrl",
    type: "url",
    required: true,
    placeholder: "https://github.com/owner/repo",
    autocomplete: "off",
  });
  const button = h("button", { type: "submit" }, "Check licence");
  const result = h("div", { "aria-live": "polite", "data-testid": "license-result" });

  async function submit(event) {
    event.preventDefault();
    button.disabled = true;
    replace(result, loading("Checking"));
    try {
      const { licenseCheck: r } = await gql(LICENSE_CHECK, { id: a.id, url: input.value.trim() });
      if (r.__typename !== "LicenseVerdict") throw payloadError(r);
      replace(
        result,
        h(
          "div",
          { class: "verdict" },
          h("p", {}, h("span", { class: `badge ${VERDICT_BADGE[r.verdict] || "na"}` }, r.verdict.replace(/_/g, " ").toLowerCase()), " ", r.reason),
          h(
            "dl",
            { class: "facts" },
            fact("Model licence", r.modelLicense),
            fact("Repository licence", r.repoLicense),
            fact("Repository", r.githubRepo),
            fact("Policy version", h("code", {}, r.policyVersion)),
          ),
        ),
      );
    } catch (err) {
      replace(result, errorBox(err));
    } finally {
      button.disabled = false;
    }
  }

  return h(
    "section",
    { class: "card", "aria-labelledby": "license-heading" },
    h("h2", { id: "license-heading" }, "Licence check"),
    h("p", { class: "muted" }, "May a GitHub project's code fine-tune and run this model under its licence?"),
    h(
      "form",
      { class: "inline", onsubmit: submit },
      h("div", { class: "grow" }, h("label", { for: "license-url" }, "GitHub repository URL"), input),
      h("div", {}, button),
    ),
    result,
  );
}

function auditSection(a) {
  const rows = h("tbody", {});
  const status = h("div", {});
  const more = h("button", { type: "button", class: "secondary", hidden: true }, "More");
  let cursor = null;

  async function load() {
    more.disabled = true;
    replace(status, loading("Reading the audit log"));
    try {
      const { auditLog } = await gql(AUDIT, { id: a.id, first: AUDIT_PAGE, after: cursor });
      replace(status);
      for (const { node } of auditLog.edges) {
        rows.append(h("tr", {}, h("td", {}, date(node.date)), h("td", {}, node.action), h("td", {}, node.user)));
      }
      if (!rows.children.length) replace(status, h("p", { class: "muted" }, "No entries."));
      cursor = auditLog.pageInfo.endCursor;
      more.hidden = !auditLog.pageInfo.hasNextPage;
    } catch (err) {
      replace(status, errorBox(err));
    } finally {
      more.disabled = false;
    }
  }
  more.addEventListener("click", load);
  load();

  return h(
    "section",
    { class: "card", "aria-labelledby": "audit-heading" },
    h("h2", { id: "audit-heading" }, "Audit log"),
    h("p", { class: "muted" }, "Newest first. Reading it is recorded too (AUDIT)."),
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "audit" },
        h("thead", {}, h("tr", {}, ["When", "Action", "User"].map((t) => h("th", { scope: "col" }, t)))),
        rows,
      ),
    ),
    status,
    more,
  );
}

function actions(a, problems) {
  async function download(event) {
    const button = event.currentTarget;
    button.disabled = true;
    replace(problems);
    try {
      const { artifact } = await gql(DOWNLOAD, { id: a.id, part: part ? part.value : "FULL" });
      if (!artifact || !artifact.downloadUrl) {
        throw new ApiError("not_found", "The registry holds no bundle for this artifact any more.");
      }
      // A link the user's click follows: the browser saves the bundle (signed link, no token).
      h("a", { href: artifact.downloadUrl, download: "" }).click();
    } catch (err) {
      replace(problems, errorBox(err));
    } finally {
      button.disabled = false;
    }
  }

  async function remove(event) {
    if (!window.confirm(`Delete ${a.name} (id ${a.id}) and its bundle? This cannot be undone.`)) return;
    const button = event.currentTarget;
    button.disabled = true;
    replace(problems);
    try {
      const { deleteArtifact } = await gql(DELETE, { id: a.id });
      if (deleteArtifact.error) throw payloadError(deleteArtifact.error);
      notify(`Deleted ${a.name} (id ${a.id}).`);
      go("/artifacts");
    } catch (err) {
      replace(problems, errorBox(err));
      button.disabled = false;
    }
  }

  // Which part of a model whose files the registry holds (the others download as one bundle).
  const part = a.files.some((f) => f.held)
    ? h(
        "select",
        { "aria-label": "Part to download", "data-testid": "download-part" },
        PARTS.map(([value, label]) => h("option", { value }, label)),
      )
    : null;
  return h(
    "div",
    { class: "actions" },
    session.can("DOWNLOAD") ? part : null,
    session.can("DOWNLOAD") ? h("button", { type: "button", onclick: download }, "Download") : null,
    a.type === "MODEL" ? h("a", { class: "button secondary", href: `#/artifact/${encodeURIComponent(a.id)}/lineage` }, "Lineage") : null,
    session.can("UPLOAD") ? h("button", { type: "button", class: "danger", onclick: remove }, "Delete") : null,
  );
}

export async function render(root, { params }) {
  const { artifact: a } = await gql(ARTIFACT, { id: params.id });
  if (!a) {
    root.append(
      h("h1", {}, "Artifact not found"),
      h(
        "p",
        {},
        `No artifact has the id ${params.id}: it may have been deleted. `,
        h("a", { href: "#/artifacts" }, "Search the registry"),
      ),
    );
    return;
  }
  const problems = h("div", {});
  replace(
    root,
    h("h1", {}, a.name),
    h(
      "p",
      { class: "subtitle" },
      h("span", { class: "badge na" }, a.type),
      " ",
      gateBadge(a.gatePassed),
      " ",
      h("span", { class: "muted" }, a.sourceKey),
    ),
    actions(a, problems),
    problems,
    details(a),
    a.rating ? ratingSection(a) : null,
    a.rating ? gateSection(a) : null,
    historySection(a),
    a.files.length ? filesSection(a) : null,
    costSection(a),
    a.type === "MODEL" ? licenseSection(a) : null,
    auditSection(a),
  );
}
