/**
 * The management API as the console uses it: the API token from sessionStorage as a bearer token (or,
 * under mutual TLS with a certificate that grants a scope, none), JSON in and out, and errors that carry
 * the server's reason. A 401 signs the console out.
 */

const TOKEN_KEY = 'fdo-owner-console-token';
export const API = '/api/v1';

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface Session {
  name: string;
  tokenId: string;
  scopes: string[];
  clientCertificate: string | null;
}

export function storedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function storeToken(token: string | null): void {
  if (token === null) sessionStorage.removeItem(TOKEN_KEY);
  else sessionStorage.setItem(TOKEN_KEY, token);
}

/** Called when the server says the token is no longer good (set by main.ts). */
let onUnauthorized: (message: string) => void = () => {};
export function whenUnauthorized(fn: (message: string) => void): void {
  onUnauthorized = fn;
}

export function authHeaders(token = storedToken()): Record<string, string> {
  return token === null ? {} : { authorization: `Bearer ${token}` };
}

async function failureOf(res: Response): Promise<ApiFailure> {
  let code = `http_${res.status}`;
  let message = `the server answered ${res.status} ${res.statusText}`;
  try {
    const body = (await res.json()) as { error?: string; message?: string };
    if (typeof body.error === 'string') code = body.error;
    if (typeof body.message === 'string') message = body.message;
  } catch {
    // not JSON: keep the status line
  }
  return new ApiFailure(res.status, code, message);
}

/** Calls the management API; throws ApiFailure with the server's reason on any status ≥ 400. */
export async function call(method: string, path: string, body?: unknown, token = storedToken()): Promise<Response> {
  const headers: Record<string, string> = { ...authHeaders(token), accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(`${API}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new ApiFailure(0, 'network', 'the owner service did not answer: is it running, and is the network up?');
  }
  if (res.ok) return res;
  const failure = await failureOf(res);
  if (res.status === 401 && token !== null) onUnauthorized(failure.message);
  throw failure;
}

export async function getJson<T>(path: string): Promise<T> {
  return (await call('GET', path)).json() as Promise<T>;
}

export async function sendJson<T>(method: string, path: string, body?: unknown): Promise<T> {
  return (await call(method, path, body)).json() as Promise<T>;
}

/** The JSON at `path`, or null when the route does not exist (404) on this server. */
export async function optionalJson<T>(path: string): Promise<T | null> {
  try {
    return await getJson<T>(path);
  } catch (err) {
    if (err instanceof ApiFailure && err.status === 404) return null;
    throw err;
  }
}

/** Who the token (or certificate) is: GET /session. */
export async function session(token: string | null): Promise<Session> {
  return (await call('GET', '/session', undefined, token)).json() as Promise<Session>;
}

export interface UploadResult {
  imported: number;
  duplicate: number;
  rejected: number;
  results: { index: number; guid: string | null; result: 'imported' | 'duplicate' | 'rejected'; reason?: string }[];
}

/**
 * POST /vouchers with upload progress (XMLHttpRequest reports it; fetch does not): `onProgress(sent, total)`.
 * CBOR files (binary, `.cbor`) go as application/cbor, everything else as PEM.
 */
export function uploadVouchers(
  file: File,
  tags: string[],
  onProgress: (sent: number, total: number) => void,
): Promise<UploadResult> {
  const query = tags.map((t) => `tag=${encodeURIComponent(t)}`).join('&');
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `${API}/vouchers${query === '' ? '' : `?${query}`}`);
    for (const [name, value] of Object.entries(authHeaders())) xhr.setRequestHeader(name, value);
    xhr.setRequestHeader('content-type', isCbor(file) ? 'application/cbor' : 'application/x-pem-file');
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onerror = () =>
      reject(new ApiFailure(0, 'network', 'the upload was interrupted: the owner service did not answer'));
    xhr.onload = () => {
      let body: { error?: string; message?: string } & Partial<UploadResult> = {};
      try {
        body = JSON.parse(xhr.responseText) as typeof body;
      } catch {
        // not JSON
      }
      if (xhr.status === 200) return resolve(body as UploadResult);
      if (xhr.status === 401) onUnauthorized(body.message ?? 'the API token is unknown or revoked');
      reject(new ApiFailure(xhr.status, body.error ?? `http_${xhr.status}`, body.message ?? xhr.statusText));
    };
    xhr.send(file);
  });
}

function isCbor(file: File): boolean {
  return /\.(cbor|ov|bin)$/i.test(file.name) || file.type === 'application/cbor';
}
