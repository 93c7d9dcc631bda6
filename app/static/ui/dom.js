// Building the page from data. Text always goes in as text (never as HTML), so nothing an
// upstream card or a user name holds can run in the page.

/** An element: h("a", {href: "#/"}, "text", child, ...). Attributes starting with "on" are
 *  listeners; `class`, `for` and the rest are set as attributes; null/false ones are skipped. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (value === true) {
      el.setAttribute(key, "");
    } else {
      el.setAttribute(key, String(value));
    }
  }
  append(el, children);
  return el;
}

/** An SVG element (lineage pictures). */
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else {
      el.setAttribute(key, String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace everything inside `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** An error the user should read: its code and message, announced to screen readers. */
export function errorBox(error) {
  const code = error && error.code ? `${error.code}: ` : "";
  const message = error && error.message ? error.message : String(error);
  return h("div", { class: "error", role: "alert" }, code, message);
}

export function loading(what = "Loading") {
  return h("p", { class: "loading", role: "status" }, `${what}…`);
}
