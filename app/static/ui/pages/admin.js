// Administration: the users (list, create, delete) and the registry's reset. The router shows
// this page to administrators only; the server checks every call again regardless.

import { h, replace, errorBox } from "../dom.js";
import { gql, payloadError, session } from "../api.js";
import { go, notify } from "../app.js";

const USERS = "query Users { users { name isAdmin permissions } }";
const USER_ERROR = `error {
      __typename
      ... on Error { code message }
      ... on ValidationError { field }
    }`;
const CREATE = `mutation CreateUser($name: String!, $password: String!, $permissions: [Permission!]!, $isAdmin: Boolean!) {
  createUser(name: $name, password: $password, permissions: $permissions, isAdmin: $isAdmin) {
    user { name }
    ${USER_ERROR}
  }
}`;
const DELETE = `mutation DeleteUser($name: String!) {
  deleteUser(name: $name) {
    deletedName
    ${USER_ERROR}
  }
}`;
const RESET = "mutation Reset { reset { ok } }";
const RESET_WORD = "RESET";
// ADMIN is a permission too, but the admin checkbox grants it; listing it twice would invite
// an admin flag and an ADMIN permission that disagree.
const PERMISSIONS = [
  ["UPLOAD", "Upload: ingest, update and delete artifacts"],
  ["SEARCH", "Search: find and read artifacts"],
  ["DOWNLOAD", "Download: fetch bundles"],
];

export async function render(root) {
  const { users } = await gql(USERS);
  const status = h("div", { role: "status" });
  const list = h("div", { class: "table-wrap" });
  const dialog = confirmDialog();
  root.append(
    h("h1", {}, "Administration"),
    status,
    h("h2", {}, "Users"),
    list,
    createForm(),
    resetForm(),
    dialog.element,
  );
  drawUsers(users);

  function say(...children) {
    replace(status, h("p", { class: "notice" }, ...children));
  }

  async function reload() {
    const fresh = await gql(USERS);
    drawUsers(fresh.users);
  }

  function drawUsers(all) {
    const me = session.user();
    replace(
      list,
      h(
        "table",
        { class: "users" },
        h("caption", { class: "sr-only" }, "Users"),
        h(
          "thead",
          {},
          h("tr", {}, h("th", { scope: "col" }, "Name"), h("th", { scope: "col" }, "Role"), h("th", { scope: "col" }, "Permissions"), h("th", { scope: "col" }, h("span", { class: "sr-only" }, "Actions"))),
        ),
        h(
          "tbody",
          {},
          all.map((user) =>
            h(
              "tr",
              { "data-user": user.name },
              h("th", { scope: "row" }, user.name),
              h("td", {}, user.isAdmin ? h("span", { class: "badge warn" }, "admin") : "user"),
              h("td", {}, user.permissions.length ? user.permissions.join(", ") : h("span", { class: "muted" }, "none")),
              h(
                "td",
                {},
                me && me.name === user.name
                  ? h("span", { class: "muted" }, "you")
                  : h(
                      "button",
                      { type: "button", class: "danger", "aria-label": `Delete ${user.name}`, onclick: () => remove(user.name) },
                      "Delete",
                    ),
              ),
            ),
          ),
        ),
      ),
    );
  }

  async function remove(name) {
    if (!(await dialog.ask(`Delete the user ${name}?`, "Their tokens stop working at once. This cannot be undone.", "Delete user"))) {
      return;
    }
    status.replaceChildren();
    try {
      const { deleteUser } = await gql(DELETE, { name });
      if (deleteUser.error) throw payloadError(deleteUser.error);
      say(`Deleted the user ${deleteUser.deletedName}.`);
      await reload();
    } catch (err) {
      replace(status, errorBox(err));
    }
  }

  function createForm() {
    const name = h("input", { id: "new-user-name", name: "name", required: true, autocomplete: "off", maxlength: 100 });
    const password = h("input", {
      id: "new-user-password",
      name: "password",
      type: "password",
      required: true,
      minlength: 8,
      autocomplete: "new-password",
      "aria-describedby": "new-user-password-help",
    });
    const boxes = PERMISSIONS.map(([value, label]) => {
      const id = `perm-${value.toLowerCase()}`;
      const box = h("input", { id, type: "checkbox", name: "permissions", value });
      return { box, row: h("div", { class: "perm-check" }, box, h("label", { for: id }, label)) };
    });
    const admin = h("input", { id: "new-user-admin", type: "checkbox", name: "isAdmin" });
    const failure = h("div");
    const button = h("button", { type: "submit" }, "Create user");

    async function submit(event) {
      event.preventDefault();
      failure.replaceChildren();
      name.removeAttribute("aria-invalid");
      password.removeAttribute("aria-invalid");
      button.disabled = true;
      try {
        const { createUser } = await gql(CREATE, {
          name: name.value.trim(),
          password: password.value,
          permissions: boxes.filter(({ box }) => box.checked).map(({ box }) => box.value),
          isAdmin: admin.checked,
        });
        if (createUser.error) throw payloadError(createUser.error);
        say(`Created the user ${createUser.user.name}.`);
        event.target.reset();
        await reload();
      } catch (err) {
        failure.append(errorBox(err));
        const control = { name, password }[err.field];
        if (control) {
          control.setAttribute("aria-invalid", "true");
          control.focus();
        }
      } finally {
        button.disabled = false;
      }
    }

    return h(
      "form",
      { class: "card narrow", onsubmit: submit, "aria-labelledby": "create-user-heading" },
      h("h2", { id: "create-user-heading" }, "Create a user"),
      h("label", { for: "new-user-name" }, "User name"),
      name,
      h("label", { for: "new-user-password" }, "Password"),
      password,
      h("p", { id: "new-user-password-help", class: "muted hint" }, "At least 8 characters."),
      h(
        "fieldset",
        { class: "checks" },
        h("legend", {}, "Permissions"),
        boxes.map(({ row }) => row),
        h("div", { class: "perm-check" }, admin, h("label", { for: "new-user-admin" }, "Administrator: every permission, users and reset")),
      ),
      button,
      failure,
    );
  }

  function resetForm() {
    const word = h("input", {
      id: "reset-confirm",
      name: "confirm",
      autocomplete: "off",
      spellcheck: "false",
      "aria-describedby": "reset-help",
    });
    const button = h("button", { type: "submit", class: "danger", disabled: true }, "Reset the registry");
    const failure = h("div");
    word.addEventListener("input", () => {
      button.disabled = word.value !== RESET_WORD;
    });

    async function submit(event) {
      event.preventDefault();
      if (word.value !== RESET_WORD) return;
      failure.replaceChildren();
      button.disabled = true;
      try {
        const { reset } = await gql(RESET);
        if (!reset.ok) throw new Error("The registry did not confirm the reset.");
      } catch (err) {
        failure.append(errorBox(err));
        button.disabled = word.value !== RESET_WORD;
        return;
      }
      // The reset deletes every user but the default administrator, so the token of any other
      // administrator is refused from now on; signing out in every case sends whoever acted
      // through the sign-in form to a registry that starts over.
      session.end();
      notify("The registry was reset: every artifact and user is gone and the default administrator is restored. Sign in again.");
      go("/signin");
    }

    return h(
      "form",
      { class: "card narrow danger-zone", onsubmit: submit, "aria-labelledby": "reset-heading" },
      h("h2", { id: "reset-heading" }, "Reset the registry"),
      h(
        "p",
        { id: "reset-help" },
        "Deletes every artifact with its bundle, every ingest job, the audit log and every user but the default administrator, whose password goes back to the configured one. You are signed out afterwards. ",
        `Type ${RESET_WORD} to confirm.`,
      ),
      h("label", { for: "reset-confirm" }, `Type ${RESET_WORD} to confirm`),
      word,
      button,
      failure,
    );
  }
}

/** A modal question with Cancel and a confirming button; `ask` resolves true if confirmed. The
 *  native <dialog> keeps focus inside it and closes on Escape. */
function confirmDialog() {
  const title = h("h2", { id: "confirm-title" });
  const detail = h("p", { id: "confirm-detail" });
  const yes = h("button", { type: "submit", class: "danger", value: "yes" });
  const no = h("button", { type: "submit", class: "secondary", value: "no" }, "Cancel");
  const element = h(
    "dialog",
    { class: "confirm", "aria-labelledby": "confirm-title", "aria-describedby": "confirm-detail" },
    h(
      "form",
      { method: "dialog" },
      title,
      detail,
      h("div", { class: "dialog-actions" }, no, yes),
    ),
  );
  return {
    element,
    ask(question, explanation, confirmLabel) {
      title.textContent = question;
      detail.textContent = explanation;
      yes.textContent = confirmLabel;
      element.returnValue = "";
      element.showModal();
      // Cancel first: Enter on a destructive question should not destroy.
      no.focus();
      return new Promise((resolve) => {
        element.addEventListener("close", () => resolve(element.returnValue === "yes"), { once: true });
      });
    },
  };
}
