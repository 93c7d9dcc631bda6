// A model's lineage as a picture: one row per step from the model (base models above, fine-tunes
// below), edges from parent to child. Registered models are links, so a click (or Enter) moves
// to their lineage; parents the registry does not hold are drawn dashed, by name. The same
// nodes follow as a table for readers who do not see the picture.

import { h, svg, replace, errorBox } from "../dom.js";
import { gql } from "../api.js";
import { go } from "../app.js";

const LINEAGE = `query Lineage($id: ID!, $direction: LineageDirection!, $depth: Int!) {
  lineage(id: $id, direction: $direction, depth: $depth) {
    root { id name }
    nodes { name distance artifact { id name gatePassed rating { netScore } } }
    edges { parent child relationship source }
  }
}`;

const DIRECTIONS = [
  ["BOTH", "Both ways"],
  ["UP", "Base models (up)"],
  ["DOWN", "Fine-tunes (down)"],
];
const MAX_DEPTH = 12;
const DEFAULT_DEPTH = 5;

const NODE_W = 210;
const NODE_H = 52;
const GAP_X = 28;
const GAP_Y = 60;
const PAD = 20;
const MAX_LABEL = 26;

function clip(text) {
  return text.length > MAX_LABEL ? `${text.slice(0, MAX_LABEL - 1)}…` : text;
}

function relation(distance) {
  if (distance === 0) return "this model";
  const steps = Math.abs(distance);
  const word = steps === 1 ? "step" : "steps";
  return distance < 0 ? `base model, ${steps} ${word} up` : `fine-tune, ${steps} ${word} down`;
}

/** Rows by distance; within a row, nodes ordered by where their neighbours in the row nearer
 *  the model sit, so edges cross as little as a simple pass can manage. */
function layout(nodes, edges) {
  const rows = new Map();
  for (const node of nodes) {
    if (!rows.has(node.distance)) rows.set(node.distance, []);
    rows.get(node.distance).push(node);
  }
  const distances = [...rows.keys()].sort((a, b) => a - b);
  const position = new Map();
  const neighbours = (name, towards) =>
    edges
      .filter((e) => (towards > 0 ? e.parent === name : e.child === name))
      .map((e) => (towards > 0 ? e.child : e.parent))
      .filter((other) => position.has(other));
  const order = (distance, towards) => {
    const row = rows.get(distance);
    const weight = (node) => {
      const seen = neighbours(node.name, towards).map((other) => position.get(other).index);
      return seen.length ? seen.reduce((x, y) => x + y, 0) / seen.length : Number.MAX_SAFE_INTEGER;
    };
    row.sort((a, b) => weight(a) - weight(b) || a.name.localeCompare(b.name));
    row.forEach((node, index) => position.set(node.name, { index, distance }));
  };
  // Outward from the model: rows above order by their children, rows below by their parents.
  if (rows.has(0)) order(0, 0);
  for (const d of distances.filter((d) => d < 0).sort((a, b) => b - a)) order(d, 1);
  for (const d of distances.filter((d) => d > 0)) order(d, -1);

  const widest = Math.max(...[...rows.values()].map((row) => row.length));
  const width = PAD * 2 + widest * NODE_W + (widest - 1) * GAP_X;
  const height = PAD * 2 + distances.length * NODE_H + (distances.length - 1) * GAP_Y;
  const boxes = new Map();
  distances.forEach((distance, level) => {
    const row = rows.get(distance);
    const rowWidth = row.length * NODE_W + (row.length - 1) * GAP_X;
    const left = (width - rowWidth) / 2;
    row.forEach((node, index) => {
      boxes.set(node.name, { node, x: left + index * (NODE_W + GAP_X), y: PAD + level * (NODE_H + GAP_Y) });
    });
  });
  return { width, height, boxes };
}

function edgePath(from, to) {
  const x1 = from.x + NODE_W / 2;
  const y1 = from.y + NODE_H;
  const x2 = to.x + NODE_W / 2;
  const y2 = to.y;
  const bend = Math.max(GAP_Y / 2, Math.abs(y2 - y1) / 2);
  return `M ${x1} ${y1} C ${x1} ${y1 + bend}, ${x2} ${y2 - bend}, ${x2} ${y2 - 1}`;
}

function nodeShape(box, rootId) {
  const { node } = box;
  const registered = Boolean(node.artifact);
  const isRoot = node.distance === 0;
  const [owner, repo] = node.name.includes("/") ? node.name.split(/\/(.*)/s) : ["", node.name];
  const title = registered
    ? `${node.name} (${relation(node.distance)}), registered as ${node.artifact.name}, id ${node.artifact.id}`
    : `${node.name} (${relation(node.distance)}), not registered`;
  const shape = [
    svg("title", {}, title),
    svg("rect", { x: box.x, y: box.y, width: NODE_W, height: NODE_H, rx: 8, ry: 8 }),
    svg("text", { x: box.x + 12, y: box.y + 21, class: "name" }, clip(repo)),
    svg(
      "text",
      { x: box.x + 12, y: box.y + 40, class: "sub" },
      registered ? clip(owner || node.artifact.name) : "not registered",
    ),
  ];
  const classes = ["node", registered ? "registered" : "unregistered", isRoot ? "root" : null]
    .filter(Boolean)
    .join(" ");
  if (!registered) return svg("g", { class: classes, "data-name": node.name }, shape);
  // The model itself links to its page; every other registered model to its own lineage.
  const href = isRoot
    ? `#/artifact/${encodeURIComponent(rootId)}`
    : `#/artifact/${encodeURIComponent(node.artifact.id)}/lineage`;
  return svg("g", { class: classes, "data-name": node.name }, svg("a", { href, "aria-label": title }, shape));
}

function picture(graph) {
  const { width, height, boxes } = layout(graph.nodes, graph.edges);
  const lines = graph.edges
    .filter((e) => boxes.has(e.parent) && boxes.has(e.child))
    .map((e) =>
      svg(
        "path",
        { class: "edge", d: edgePath(boxes.get(e.parent), boxes.get(e.child)), "marker-end": "url(#lineage-arrow)" },
        svg("title", {}, `${e.parent} → ${e.child} (${e.relationship}, from ${e.source})`),
      ),
    );
  return svg(
    "svg",
    {
      viewBox: `0 0 ${width} ${height}`,
      width,
      height,
      style: `max-width: min(100%, ${width}px)`,
      role: "group",
      "aria-label": `Lineage of ${graph.root.name}: ${graph.nodes.length} models, ${graph.edges.length} links`,
    },
    svg(
      "defs",
      {},
      svg(
        "marker",
        { id: "lineage-arrow", viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto" },
        svg("path", { d: "M 0 0 L 10 5 L 0 10 z", class: "arrow" }),
      ),
    ),
    lines,
    [...boxes.values()].map((box) => nodeShape(box, graph.root.id)),
  );
}

function nodeTable(graph) {
  const sorted = [...graph.nodes].sort((a, b) => a.distance - b.distance || a.name.localeCompare(b.name));
  const parentsOf = (name) => graph.edges.filter((e) => e.child === name).map((e) => e.parent);
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "lineage-nodes" },
      h("caption", {}, "Models in this lineage"),
      h(
        "thead",
        {},
        h("tr", {}, h("th", { scope: "col" }, "Model"),
          h("th", { scope: "col" }, "Relation"),
          h("th", { scope: "col", class: "optional" }, "Parents"),
          h("th", { scope: "col" }, "In the registry"),),
      ),
      h(
        "tbody",
        {},
        sorted.map((node) =>
          h(
            "tr",
            {},
            h("th", { scope: "row" }, node.name),
            h("td", {}, relation(node.distance)),
            h("td", { class: "optional" }, parentsOf(node.name).join(", ") || "—"),
            h(
              "td",
              {},
              node.artifact
                ? [
                    h("a", { href: `#/artifact/${encodeURIComponent(node.artifact.id)}` }, node.artifact.name),
                    " · ",
                    h("a", { href: `#/artifact/${encodeURIComponent(node.artifact.id)}/lineage` }, "lineage"),
                  ]
                : h("span", { class: "badge na" }, "not registered"),
            ),
          ),
        ),
      ),
    ),
  );
}

function controls(id, direction, depth) {
  const directionSelect = h(
    "select",
    { id: "lineage-direction", name: "direction" },
    DIRECTIONS.map(([value, label]) => h("option", { value, selected: value === direction || null }, label)),
  );
  const depthInput = h("input", {
    id: "lineage-depth",
    name: "depth",
    type: "number",
    min: "1",
    max: String(MAX_DEPTH),
    step: "1",
    required: true,
    value: String(depth),
  });
  return h(
    "form",
    {
      class: "inline card",
      onsubmit: (event) => {
        event.preventDefault();
        go(`/artifact/${encodeURIComponent(id)}/lineage`, {
          direction: directionSelect.value === "BOTH" ? null : directionSelect.value,
          depth: Number(depthInput.value) === DEFAULT_DEPTH ? null : depthInput.value,
        });
      },
    },
    h("div", {}, h("label", { for: "lineage-direction" }, "Direction"), directionSelect),
    h("div", {}, h("label", { for: "lineage-depth" }, "Depth (steps)"), depthInput),
    h("div", {}, h("button", { type: "submit" }, "Show")),
  );
}

export async function render(root, { params, query }) {
  const direction = DIRECTIONS.some(([value]) => value === query.get("direction")) ? query.get("direction") : "BOTH";
  const asked = Number.parseInt(query.get("depth") || "", 10);
  const depth = asked >= 1 && asked <= MAX_DEPTH ? asked : DEFAULT_DEPTH;

  let graph;
  try {
    ({ lineage: graph } = await gql(LINEAGE, { id: params.id, direction, depth }));
  } catch (err) {
    root.append(h("h1", {}, "Lineage"), errorBox(err), h("p", {}, h("a", { href: "#/artifacts" }, "Search the registry")));
    return;
  }

  replace(
    root,
    h("h1", {}, `Lineage of ${graph.root.name}`),
    h(
      "p",
      {},
      h("a", { href: `#/artifact/${encodeURIComponent(graph.root.id)}` }, `Back to ${graph.root.name}`),
      h("span", { class: "muted" }, " · Base models are above the model, fine-tunes below. Pick a registered model to move to its lineage."),
    ),
    controls(params.id, direction, depth),
    h("figure", { class: "lineage" }, picture(graph)),
    graph.nodes.length > 1 ? null : h("p", { class: "muted" }, "No base model or fine-tune found to this depth."),
    nodeTable(graph),
  );
}
