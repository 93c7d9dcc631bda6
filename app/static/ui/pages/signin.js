// Sign in: a token from `authenticate`, then `me` for the user's name and permissions.

import { h, errorBox } from "../dom.js";
import { gql, session, ApiError } from "../api.js";
import { go } from "../app.js";

const AUTHENTICATE = `mutation SignIn($u: String!, $p: String!) {
  authenticate(username: $u, password: $p) {
    token
    error { __typename ... on Error { code message } ... on RateLimitedError { retryAfterSeconds } }
  }
}`;
const ME = "query Me { me { name isAdmin permissions } }";

export async function render(root, { query }) {
  const next = query.get("next") || "/";
  const failure = h("div");
  const username = h("input", { id: "username", name: "username", autocomplete: "username", required: true });
  const password = h("input", {
    id: "password",
    name: "password",
    type: "password",
    autocomplete: "current-password",
    required: true,
  });
  const button = h("button", { type: "submit" }, "Sign in");

  async function submit(event) {
    event.preventDefault();
    failure.replaceChildren();
    button.disabled = true;
    try {
      const { authenticate } = await gql(AUTHENTICATE, { u: username.value, p: password.value });
      if (authenticate.error) {
        const e = authenticate.error;
        const wait = e.retryAfterSeconds ? ` Try again in ${e.retryAfterSeconds} s.` : "";
        throw new ApiError(e.code, e.message + wait);
      }
      session.start(authenticate.token, { name: username.value, isAdmin: false, permissions: [] });
      const { me } = await gql(ME);
      session.start(authenticate.token, me);
      go(next.startsWith("/") && next !== "/signin" ? next : "/");
    } catch (err) {
      session.end();
      failure.replaceChildren(errorBox(err));
      password.select();
    } finally {
      button.disabled = false;
    }
  }

  root.append(
    h("h1", {}, "Sign in"),
    h(
      "form",
      { class: "card narrow", onsubmit: submit },
      h("label", { for: "username" }, "User name"),
      username,
      h("label", { for: "password" }, "Password"),
      password,
      button,
      failure,
    ),
  );
  queueMicrotask(() => username.focus());
}
