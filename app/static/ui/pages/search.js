// Browse and search artifacts. The whole search (terms, filters, page size and the cursors of
// the pages before this one) lives in the fragment's query, so a search can be shared, reloaded
// and walked back with the browser's Back button.

import { h, errorBox } from "../dom.js";
import { gql, session } from "../api.js";
import { go } from "../app.js";
import { score, bytes, date } from "../format.js";

const SEARCH = `query Search($filter: ArtifactFilter, $first: Int, $after: String) {
  artifacts(filter: $filter, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id name type license sizeBytes createdAt gatePassed rating { netScore } } }
  }
}`;

const TYPES = ["MODEL", "DATASET", "CODE"];
const PAGE_SIZES = [10, 20, 50, 100];
const DEFAULT_PAGE_SIZE = 20;
// The server serves at most this many per page.
const MAX_PAGE_SIZE = 100;

// Set by a search or a page change made here, so the next render moves focus to the result
// count: a keyboard or screen-reader user lands on what changed, not back at the page's top.
let focusResults = false;

function goSearch(state) {
  focusResults = true;
  go("/artifacts", toQuery(state));
}

/** The search the fragment's query describes. `cursors` holds the `after` of every page up to
 *  this one: the last is this page's, dropping it goes back one page. */
function readState(query) {
  const mode = query.has("name") ? "name" : "regex";
  const types = (query.get("types") || "").split(",").filter((t) => TYPES.includes(t));
  const first = Number.parseInt(query.get("first") || "", 10);
  const min = query.get("min");
  return {
    mode,
    text: query.get(mode) || "",
    types,
    min: min !== null && min !== "" && !Number.isNaN(Number(min)) ? Number(min) : null,
    gate: ["passed", "failed"].includes(query.get("gate")) ? query.get("gate") : "any",
    first: first >= 1 && first <= MAX_PAGE_SIZE ? first : DEFAULT_PAGE_SIZE,
    cursors: (query.get("cursors") || "").split(",").filter(Boolean),
  };
}

/** The fragment query for a state (defaults left out, so links stay short). */
function toQuery(state) {
  return {
    [state.mode]: state.text || null,
    types: state.types.length ? state.types.join(",") : null,
    min: state.min,
    gate: state.gate === "any" ? null : state.gate,
    first: state.first === DEFAULT_PAGE_SIZE ? null : state.first,
    cursors: state.cursors.length ? state.cursors.join(",") : null,
  };
}

function toFilter(state) {
  const filter = {};
  if (state.text) filter[state.mode] = state.text;
  if (state.types.length) filter.types = state.types;
  if (state.min !== null) filter.minNetScore = state.min;
  if (state.gate !== "any") filter.gatePassed = state.gate === "passed";
  return filter;
}

function option(value, label, selected) {
  return h("option", { value, selected: selected || null }, label);
}

function searchForm(state) {
  const mode = h(
    "select",
    { id: "search-mode", name: "mode" },
    option("regex", "Pattern in name or README (RE2)", state.mode === "regex"),
    option("name", "Exact name", state.mode === "name"),
  );
  const text = h("input", {
    id: "search-text",
    name: "text",
    type: "search",
    value: state.text,
    placeholder: "e.g. (?i)bert",
    spellcheck: "false",
    autocomplete: "off",
  });
  const typeBoxes = TYPES.map((type) => {
    const id = `type-${type.toLowerCase()}`;
    return h(
      "span",
      { class: "check" },
      h("input", { type: "checkbox", id, name: "types", value: type, checked: state.types.includes(type) }),
      h("label", { for: id }, type.charAt(0) + type.slice(1).toLowerCase()),
    );
  });
  const min = h("input", {
    id: "search-min",
    name: "min",
    type: "number",
    min: "0",
    max: "1",
    step: "0.05",
    inputmode: "decimal",
    value: state.min === null ? "" : String(state.min),
  });
  const gate = h(
    "select",
    { id: "search-gate", name: "gate" },
    option("any", "Any", state.gate === "any"),
    option("passed", "Passed", state.gate === "passed"),
    option("failed", "Failed", state.gate === "failed"),
  );
  const sizes = PAGE_SIZES.includes(state.first) ? PAGE_SIZES : [...PAGE_SIZES, state.first].sort((a, b) => a - b);
  const first = h(
    "select",
    { id: "search-first", name: "first" },
    sizes.map((n) => option(String(n), String(n), n === state.first)),
  );

  function submit(event) {
    event.preventDefault();
    const minText = min.value.trim();
    goSearch({
      mode: mode.value,
      text: text.value.trim(),
      types: typeBoxes.map((box) => box.querySelector("input")).filter((b) => b.checked).map((b) => b.value),
      min: minText === "" ? null : Number(minText),
      gate: gate.value,
      first: Number(first.value),
      cursors: [],
    });
  }

  return h(
    "form",
    { class: "card search-form", role: "search", onsubmit: submit },
    h(
      "div",
      { class: "search-terms" },
      h("div", {}, h("label", { for: "search-mode" }, "Search by"), mode),
      h("div", { class: "grow" }, h("label", { for: "search-text" }, "Search for"), text),
    ),
    h(
      "div",
      { class: "search-filters" },
      h("fieldset", {}, h("legend", {}, "Type"), typeBoxes),
      h("div", {}, h("label", { for: "search-min" }, "Minimum net score"), min),
      h("div", {}, h("label", { for: "search-gate" }, "Gate"), gate),
      h("div", {}, h("label", { for: "search-first" }, "Per page"), first),
      h("div", { class: "search-submit" }, h("button", { type: "submit" }, "Search")),
    ),
  );
}

function gateBadge(passed) {
  if (passed === true) return h("span", { class: "badge pass" }, "passed");
  if (passed === false) return h("span", { class: "badge fail" }, "failed");
  return h("span", { class: "badge na", title: "Only models are rated and gated" }, "n/a");
}

function resultsTable(edges) {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "results" },
      h("caption", { class: "visually-hidden" }, "Matching artifacts"),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", { scope: "col" }, "Name"),
          h("th", { scope: "col" }, "Type"),
          h("th", { scope: "col" }, "Net score"),
          h("th", { scope: "col" }, "Gate"),
          h("th", { scope: "col", class: "optional" }, "Licence"),
          h("th", { scope: "col", class: "optional" }, "Size"),
          h("th", { scope: "col", class: "optional" }, "Created"),
        ),
      ),
      h(
        "tbody",
        {},
        edges.map(({ node }) =>
          h(
            "tr",
            {},
            h("td", { class: "name" }, h("a", { href: `#/artifact/${encodeURIComponent(node.id)}` }, node.name)),
            h("td", {}, node.type),
            h("td", {}, node.rating ? score(node.rating.netScore) : "—"),
            h("td", {}, gateBadge(node.gatePassed)),
            h("td", { class: "optional" }, node.license || "—"),
            h("td", { class: "optional" }, bytes(node.sizeBytes)),
            h("td", { class: "optional" }, date(node.createdAt)),
          ),
        ),
      ),
    ),
  );
}

function pager(state, connection) {
  const page = state.cursors.length + 1;
  const previous = h(
    "button",
    {
      type: "button",
      class: "secondary",
      disabled: page === 1,
      onclick: () => goSearch({ ...state, cursors: state.cursors.slice(0, -1) }),
    },
    "Previous",
  );
  const next = h(
    "button",
    {
      type: "button",
      class: "secondary",
      disabled: !connection.pageInfo.hasNextPage,
      onclick: () => goSearch({ ...state, cursors: [...state.cursors, connection.pageInfo.endCursor] }),
    },
    "Next",
  );
  const pages = Math.max(1, Math.ceil(connection.totalCount / state.first));
  return h("nav", { class: "pager", "aria-label": "Result pages" }, previous, h("span", {}, `Page ${page} of ${pages}`), next);
}

export async function render(root, { query }) {
  const state = readState(query);
  const moveFocus = focusResults;
  focusResults = false;
  root.append(h("h1", {}, "Artifacts"), searchForm(state));

  let connection;
  try {
    const data = await gql(SEARCH, {
      filter: toFilter(state),
      first: state.first,
      after: state.cursors.length ? state.cursors[state.cursors.length - 1] : null,
    });
    connection = data.artifacts;
  } catch (err) {
    root.append(errorBox(err));
    if (moveFocus) focusWhenShown(root.querySelector(".error"));
    return;
  }

  const total = connection.totalCount;
  const searching = Object.keys(toFilter(state)).length > 0;
  root.append(
    h(
      "p",
      { class: "result-count", role: "status", tabindex: "-1", "data-testid": "result-count" },
      total === 1 ? "1 artifact" : `${total} artifacts`,
      searching ? " match." : " in the registry.",
    ),
  );
  if (connection.edges.length) {
    root.append(resultsTable(connection.edges));
  } else if (!searching && !state.cursors.length) {
    root.append(
      h(
        "p",
        {},
        "Nothing is registered yet. ",
        session.can("UPLOAD") ? h("a", { href: "#/ingest" }, "Ingest a model") : null,
      ),
    );
  } else if (searching && !state.cursors.length) {
    root.append(h("p", {}, "No artifact matches every condition. Loosen a filter or change the pattern."));
  } else {
    root.append(h("p", {}, "This page is empty: the artifacts it held are gone. ", h(
          "button",
          { type: "button", class: "link", onclick: () => goSearch({ ...state, cursors: [] }) },
          "Back to the first page",
        )));
  }
  if (state.cursors.length || connection.pageInfo.hasNextPage) root.append(pager(state, connection));
  if (moveFocus) focusWhenShown(root.querySelector(".result-count"));
}

/** The shell puts the page into the document after `render` returns. */
function focusWhenShown(element) {
  if (!element) return;
  element.setAttribute("tabindex", "-1");
  requestAnimationFrame(() => {
    if (element.isConnected) element.focus();
  });
}
