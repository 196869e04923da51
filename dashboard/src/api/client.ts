// The typed API client: generated paths (schema.d.ts) + cookie session + CSRF header.
import createClient, { type Middleware } from "openapi-fetch";

import { ApiError, networkError, toApiError } from "./errors";
import type { paths } from "./schema";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

let csrfToken: string | null = null;
const unauthorizedListeners = new Set<() => void>();

/** Remembers the session's CSRF token; every mutation sends it as `X-CSRF-Token`. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called whenever the API answers 401, so the app can send the user to the login page. */
export function onUnauthorized(listener: () => void): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

const session: Middleware = {
  onRequest({ request }) {
    if (!SAFE_METHODS.has(request.method) && csrfToken !== null) {
      request.headers.set("X-CSRF-Token", csrfToken);
    }
    return request;
  },
  onResponse({ response, request }) {
    // The login call itself answers 401 on a wrong token; that is shown on the form.
    if (response.status === 401 && !request.url.endsWith("/api/auth/login")) {
      for (const listener of unauthorizedListeners) listener();
    }
    return response;
  },
};

/** The one client every page uses; same origin, the session cookie rides along. */
export const api = createClient<paths>({ baseUrl: "", credentials: "same-origin" });
api.use(session);

interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** Awaits an openapi-fetch call and returns its data, or throws the API's error. */
export async function unwrap<T>(call: Promise<FetchResult<T>>): Promise<T> {
  let result: FetchResult<T>;
  try {
    result = await call;
  } catch (cause) {
    throw networkError(cause);
  }
  const { data, error, response } = result;
  if (!response.ok || error !== undefined) {
    throw toApiError(response.status, error, response.headers);
  }
  if (data === undefined) {
    // 204 and friends: callers that expect no body type T as undefined.
    return undefined as T;
  }
  return data;
}

export { ApiError };
