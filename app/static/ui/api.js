// The registry's public GraphQL API, as the UI uses it: queries and mutations over HTTP,
// subscriptions over graphql-transport-ws with the token in `connection_init` (a browser
// cannot set headers on a WebSocket upgrade). The token lives in this tab's session storage.

const TOKEN_KEY = "tmr.token";
const USER_KEY = "tmr.user";
const ENDPOINT = "/graphql";

export class ApiError extends Error {
  constructor(code, message, extra = {}) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    Object.assign(this, extra);
  }
}

export const session = {
  token() {
    return sessionStorage.getItem(TOKEN_KEY);
  },
  /** {name, isAdmin, permissions} of the signed-in user, or null. */
  user() {
    const raw = sessionStorage.getItem(USER_KEY);
    return raw ? JSON.parse(raw) : null;
  },
  can(permission) {
    const user = this.user();
    return Boolean(user && (user.isAdmin || user.permissions.includes(permission)));
  },
  start(token, user) {
    sessionStorage.setItem(TOKEN_KEY, token);
    sessionStorage.setItem(USER_KEY, JSON.stringify(user));
    resetSubscriptions();
  },
  end() {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(USER_KEY);
    resetSubscriptions();
  },
};

/** Called when the server no longer accepts the token (expired, used up, revoked). */
let onSignedOut = () => {};
export function whenSignedOut(handler) {
  onSignedOut = handler;
}

function expired(message) {
  session.end();
  onSignedOut(message || "Your session has ended; sign in again.");
}

/** The `data` of a GraphQL operation; an ApiError for any error in the response. */
export async function gql(query, variables = {}) {
  const headers = { "Content-Type": "application/json", Accept: "application/json" };
  const token = session.token();
  if (token) headers.Authorization = token;
  let response;
  try {
    response = await fetch(ENDPOINT, {
      method: "POST",
      headers,
      body: JSON.stringify({ query, variables }),
    });
  } catch (err) {
    throw new ApiError("NETWORK", `The registry cannot be reached (${err.message}).`);
  }
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`HTTP_${response.status}`, `The registry answered ${response.status}.`);
  }
  if (body.errors && body.errors.length) {
    const first = body.errors[0];
    const code = (first.extensions && first.extensions.code) || "ERROR";
    if (code === "UNAUTHENTICATED" && token) expired(first.message);
    throw new ApiError(code, first.message, { errors: body.errors });
  }
  return body.data;
}

/** An expected failure returned as data (the schema's `Error` interface) as an ApiError. */
export function payloadError(error) {
  if (!error) return null;
  return new ApiError(error.code || error.__typename, error.message, error);
}

let wsClient = null;

function client() {
  if (!wsClient) {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    wsClient = window.graphqlWs.createClient({
      url: `${scheme}//${location.host}${ENDPOINT}`,
      connectionParams: () => ({ Authorization: session.token() || "" }),
      lazy: true,
      retryAttempts: 3,
    });
  }
  return wsClient;
}

function resetSubscriptions() {
  if (wsClient) {
    wsClient.dispose();
    wsClient = null;
  }
}

/** Run a subscription: `onData(data)` for each event, `onError(ApiError)` once if it fails,
 *  `onDone()` when the server completes it. Returns a function that stops it. */
export function subscribe(query, variables, { onData, onError = () => {}, onDone = () => {} }) {
  return client().subscribe(
    { query, variables },
    {
      next(result) {
        if (result.errors && result.errors.length) {
          const first = result.errors[0];
          const code = (first.extensions && first.extensions.code) || "ERROR";
          if (code === "UNAUTHENTICATED") expired(first.message);
          onError(new ApiError(code, first.message, { errors: result.errors }));
          return;
        }
        onData(result.data);
      },
      error(err) {
        if (Array.isArray(err) && err.length) {
          const code = (err[0].extensions && err[0].extensions.code) || "ERROR";
          if (code === "UNAUTHENTICATED") expired(err[0].message);
          onError(new ApiError(code, err[0].message));
        } else if (err && err.code !== undefined && err.reason !== undefined) {
          // a CloseEvent: the server or the network ended the socket
          onError(new ApiError("SOCKET_CLOSED", err.reason || `connection closed (${err.code})`));
        } else {
          onError(new ApiError("NETWORK", "The live connection to the registry failed."));
        }
      },
      complete() {
        onDone();
      },
    },
  );
}
