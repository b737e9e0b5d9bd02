/** The islands' calls to the REST API (same origin), the admin token in sessionStorage, and ids that need no secure context. */

/** sessionStorage key of the admin token: kept for this tab's session, never put in a URL. */
export const TOKEN_KEY = "reelrank.adminToken";

/** An API error answer, with the status and the API's own message. */
export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** Fetches JSON from the API; a non-2xx answer throws ApiError with the API's message. */
export async function apiJson<T>(path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(path, {
    ...init,
    headers: { accept: "application/json", ...init.headers },
  });
  const body = await res.json().catch(() => null);
  if (!res.ok) {
    throw new ApiError(res.status, body?.error?.message ?? `${res.status} ${res.statusText}`);
  }
  return body as T;
}

/** A POST with a JSON body. */
export function postJson(body: unknown, headers: Record<string, string> = {}): RequestInit {
  return {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  };
}

/** A random event id; crypto.randomUUID needs a secure context, getRandomValues does not. */
export function eventId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return "web-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The admin token of this tab, or null. */
export function adminToken(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}
