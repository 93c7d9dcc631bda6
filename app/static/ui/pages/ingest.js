// Ingest: queue an upstream repository to be fetched, scored and put through the gate. The
// mutation answers at once with the queued job; its page then follows the job live.

import { h, errorBox } from "../dom.js";
import { gql, payloadError, session } from "../api.js";
import { go } from "../app.js";

const INGEST = `mutation Ingest($input: IngestInput!) {
  ingest(input: $input) {
    job { id }
    error {
      __typename
      ... on Error { code message }
      ... on ValidationError { field }
      ... on ConflictError { existingId }
    }
  }
}`;

const TYPES = [
  ["MODEL", "Model"],
  ["DATASET", "Dataset"],
  ["CODE", "Code repository"],
];

export async function render(root, { query }) {
  root.append(h("h1", {}, "Ingest"));
  if (!session.can("UPLOAD")) {
    root.append(
      h("p", {}, "Ingesting needs the upload permission, which your account does not have. An administrator can grant it."),
    );
    return;
  }

  const url = h("input", {
    id: "ingest-url",
    name: "url",
    type: "url",
    required: true,
    autocomplete: "off",
    placeholder: "https://huggingface.co/owner/name",
    "aria-describedby": "ingest-url-help",
    value: query.get("url") || null,
  });
  const type = h(
    "select",
    { id: "ingest-type", name: "type" },
    TYPES.map(([value, label]) => h("option", { value }, label)),
  );
  const name = h("input", {
    id: "ingest-name",
    name: "name",
    autocomplete: "off",
    "aria-describedby": "ingest-name-help",
  });
  const fields = { url, type, name };
  const button = h("button", { type: "submit" }, "Ingest");
  const outcome = h("div", { "data-testid": "ingest-outcome" });

  function clearMarks() {
    outcome.replaceChildren();
    for (const control of Object.values(fields)) control.removeAttribute("aria-invalid");
  }

  function showError(err) {
    outcome.append(errorBox(err));
    if (err.existingId) {
      outcome.append(
        h("p", {}, "It is already in the registry: ", h("a", { href: `#/artifact/${encodeURIComponent(err.existingId)}` }, "open the stored artifact"), "."),
      );
    }
    const control = err.field && fields[err.field];
    if (control) {
      control.setAttribute("aria-invalid", "true");
      control.focus();
    }
  }

  async function submit(event) {
    event.preventDefault();
    clearMarks();
    button.disabled = true;
    try {
      const input = { url: url.value.trim(), type: type.value, name: name.value.trim() || null };
      const { ingest } = await gql(INGEST, { input });
      if (ingest.error) {
        showError(payloadError(ingest.error));
        return;
      }
      go(`/jobs/${encodeURIComponent(ingest.job.id)}`);
    } catch (err) {
      showError(err);
    } finally {
      button.disabled = false;
    }
  }

  root.append(
    h(
      "form",
      { class: "card narrow ingest-form", onsubmit: submit },
      h("label", { for: "ingest-url" }, "Upstream URL"),
      url,
      h("p", { id: "ingest-url-help", class: "muted hint" }, "A Hugging Face model or dataset, or a GitHub repository."),
      h("label", { for: "ingest-type" }, "Type"),
      type,
      h("label", { for: "ingest-name" }, "Name (optional)"),
      name,
      h("p", { id: "ingest-name-help", class: "muted hint" }, "Stored under the repository's own name when left empty."),
      button,
    ),
    outcome,
    h(
      "p",
      { class: "muted" },
      "The registry fetches the repository, scores it and, for a model, puts the rating through the quality gate; the next page follows each step as it happens.",
    ),
  );
}
