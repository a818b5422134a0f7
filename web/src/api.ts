// The HTTP API of `wenze serve`, with the signed-in user's bearer token.

const KEY = "wenze.token";

export function token(): string | null {
  return sessionStorage.getItem(KEY) ?? localStorage.getItem(KEY);
}

export function setToken(value: string | null, remember = false): void {
  sessionStorage.removeItem(KEY);
  localStorage.removeItem(KEY);
  if (value) (remember ? localStorage : sessionStorage).setItem(KEY, value);
}

/** A problem+json answer (or a network failure) as an Error. */
export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    public body: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

async function request(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Response> {
  const headers: Record<string, string> = {};
  const tok = token();
  if (tok) headers.Authorization = `Bearer ${tok}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
  } catch (err) {
    if ((err as Error).name === "AbortError") throw err;
    throw new ApiError(0, "network", String(err));
  }
  if (!res.ok) {
    let problem: Record<string, unknown> = {};
    try {
      problem = await res.json();
    } catch {
      /* not JSON */
    }
    throw new ApiError(res.status, String(problem.code ?? res.status), String(problem.detail ?? res.statusText), problem);
  }
  return res;
}

/** The answer of GET /v1/language that index.html asked for early, if it did (once). */
export async function earlyLanguage(): Promise<Language | null> {
  const w = window as unknown as { __wenzeLanguage?: Promise<Response> };
  const early = w.__wenzeLanguage;
  delete w.__wenzeLanguage;
  if (!early) return null;
  try {
    const res = await early;
    return res.ok ? ((await res.json()) as Language) : null;
  } catch {
    return null;
  }
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  return (await request("GET", path, undefined, signal)).json() as Promise<T>;
}

export async function postJson<T>(path: string, body: unknown, signal?: AbortSignal): Promise<T> {
  return (await request("POST", path, body, signal)).json() as Promise<T>;
}

export async function putJson<T>(path: string, body: unknown, signal?: AbortSignal): Promise<T> {
  return (await request("PUT", path, body, signal)).json() as Promise<T>;
}

export async function postText(path: string, body: unknown, signal?: AbortSignal): Promise<string> {
  return (await request("POST", path, body, signal)).text();
}

/** Server-sent events read with fetch (EventSource cannot send the Authorization header).
 *  Calls onEvent per event; resolves when the stream ends; resumes after `after`. */
export async function readStream(
  after: number,
  onEvent: (id: number, kind: string, data: unknown) => void,
  signal: AbortSignal,
): Promise<number> {
  const res = await request("GET", `/v1/stream?after=${after}`, undefined, signal);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let last = after;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return last;
    buffer += decoder.decode(value, { stream: true });
    let cut: number;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let id = -1;
      let kind = "message";
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("id: ")) id = Number(line.slice(4));
        else if (line.startsWith("event: ")) kind = line.slice(7);
        else if (line.startsWith("data: ")) data.push(line.slice(6));
      }
      if (id >= 0 && data.length) {
        last = id;
        onEvent(id, kind, JSON.parse(data.join("\n")));
      }
    }
  }
}

export interface Diagnostic {
  code: string;
  severity: string;
  message: { zh: string; en: string };
  file: string;
  line: number;
  col: number;
  end_line: number;
  end_col: number;
  help: { zh: string; en: string } | null;
  suggestions: string[];
}

export interface Language {
  keywords: { terminal: string; zh: string[]; en: string[] }[];
  facts: { key: string; zh: string; type: string; scopes: string[]; doc: string }[];
}
