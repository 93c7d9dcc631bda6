// The UI's shell: a router on the URL's fragment (so `/` is the only server route), the
// navigation bar, and the sign-in guard. Each page is a module under ./pages exporting
// `render(root, route)`, which may return a function that stops what the page started
// (a subscription) when the user moves on.

import { h, replace, errorBox, loading } from "./dom.js";
import { session, whenSignedOut } from "./api.js";

/** [pattern, page module, needs sign-in, needs admin]. Patterns are fragment paths; `:name`
 *  matches one segment. */
const ROUTES = [
  ["/signin", "signin", false, false],
  ["/", "search", true, false],
  ["/artifacts", "search", true, false],
  ["/artifact/:id", "artifact", true, false],
  ["/artifact/:id/lineage", "lineage", true, false],
  ["/ingest", "ingest", true, false],
  ["/jobs/:id", "job", true, false],
  ["/admin", "admin", true, true],
];

let stopCurrent = null;
let flash = null;

/** Where the fragment points: {path, params, query}. */
export function currentRoute() {
  const raw = location.hash.replace(/^#/, "") || "/";
  const [path, search = ""] = raw.split("?");
  return { path: path || "/", query: new URLSearchParams(search) };
}

/** Go to a fragment path with optional query parameters (null/empty ones left out). */
export function go(path, query = {}) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === null || value === undefined || value === "" || value === false) continue;
    params.set(key, String(value));
  }
  const text = params.toString();
  const target = `#${path}${text ? `?${text}` : ""}`;
  if (location.hash === target) {
    render();
  } else {
    location.hash = target;
  }
}

/** A message shown once at the top of the next page (e.g. "deleted"). */
export function notify(message) {
  flash = message;
}

function match(path) {
  const parts = path.split("/").filter(Boolean);
  for (const [pattern, page, signedIn, admin] of ROUTES) {
    const want = pattern.split("/").filter(Boolean);
    if (want.length !== parts.length) continue;
    const params = {};
    const ok = want.every((seg, i) => {
      if (seg.startsWith(":")) {
        params[seg.slice(1)] = decodeURIComponent(parts[i]);
        return true;
      }
      return seg === parts[i];
    });
    if (ok) return { page, params, signedIn, admin };
  }
  return null;
}

function navLink(href, label, current) {
  return h("a", { href, "aria-current": current ? "page" : null }, label);
}

function renderNav(path) {
  const nav = document.getElementById("nav");
  const user = session.user();
  if (!user) {
    replace(nav, navLink("#/signin", "Sign in", true));
    return;
  }
  replace(
    nav,
    navLink("#/artifacts", "Artifacts", path === "/" || path.startsWith("/artifact")),
    session.can("UPLOAD") ? navLink("#/ingest", "Ingest", path === "/ingest" || path.startsWith("/jobs")) : null,
    user.isAdmin ? navLink("#/admin", "Admin", path === "/admin") : null,
    h("a", { href: "/graphql", target: "_blank", rel: "noopener" }, "GraphiQL"),
    h("a", { href: "/schema", target: "_blank", rel: "noopener" }, "REST docs"),
    h("span", { class: "who", "data-testid": "who" }, user.name),
    h("button", { type: "button", class: "link", onclick: signOut }, "Sign out"),
  );
}

async function signOut() {
  const token = session.token();
  if (token) {
    // Revoke it server-side too, so the token is worthless if it was copied anywhere. Before
    // the session ends: the request must carry the token, as revoking needs a signed-in caller.
    const { gql } = await import("./api.js");
    await gql("mutation($t: String!) { revokeToken(token: $t) }", { t: token }).catch(() => {});
  }
  session.end();
  notify("Signed out.");
  go("/signin");
}

async function render() {
  if (stopCurrent) {
    try {
      stopCurrent();
    } catch {
      /* the page was already gone */
    }
    stopCurrent = null;
  }
  const root = document.getElementById("app");
  const { path, query } = currentRoute();
  const found = match(path);
  renderNav(path);
  if (!found) {
    replace(root, h("h1", {}, "Not found"), h("p", {}, "No page here. ", h("a", { href: "#/" }, "Artifacts")));
    return;
  }
  if (found.signedIn && !session.token()) {
    go("/signin", { next: location.hash.replace(/^#/, "") });
    return;
  }
  if (found.admin && !(session.user() && session.user().isAdmin)) {
    replace(root, errorBox({ code: "FORBIDDEN", message: "This page is for administrators." }));
    return;
  }
  replace(root, loading());
  const message = flash;
  flash = null;
  try {
    const module = await import(`./pages/${found.page}.js`);
    const holder = h("div", { class: "page" });
    const view = await module.render(holder, { params: found.params, query });
    replace(root, message ? h("p", { class: "notice", role: "status" }, message) : null, holder);
    if (typeof view === "function") stopCurrent = view;
  } catch (err) {
    replace(root, errorBox(err));
  }
  const heading = root.querySelector("h1");
  if (heading) document.title = `${heading.textContent} · Trustworthy Model Registry`;
}

whenSignedOut((message) => {
  notify(message);
  go("/signin", { next: currentRoute().path === "/signin" ? null : location.hash.replace(/^#/, "") });
});

document.querySelector("[data-skip]").addEventListener("click", (event) => {
  event.preventDefault();
  document.getElementById("main").focus();
});

window.addEventListener("hashchange", render);
render();
