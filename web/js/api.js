// API client: every call carries the bearer token (kept in sessionStorage, never in the URL).
const KEY = 'iotwatch-token';

/** The token: from a "#token=..." fragment (then removed from the address bar) or the session. */
export function token() {
  const m = location.hash.match(/token=([^&]+)/);
  if (m) {
    sessionStorage.setItem(KEY, decodeURIComponent(m[1]));
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem(KEY);
}
export function setToken(t) { sessionStorage.setItem(KEY, t); }

export class ApiError extends Error {
  constructor(status, body) { super(body.error || `HTTP ${status}`); this.status = status; this.body = body; }
}

/** GET /api/v1/PATH?params as JSON; throws ApiError with the server's message. */
export async function get(path, params = {}) {
  const q = new URLSearchParams(params).toString();
  const res = await fetch(`/api/v1/${path}${q ? '?' + q : ''}`, { headers: { Authorization: `Bearer ${token()}` } });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(res.status, body);
  return body;
}

/**
 * Reads the Server-Sent-Events stream with fetch (EventSource cannot send the Authorization
 * header) and calls onEvent(type, data) per event; reconnects after a drop.
 */
export async function stream(path, onEvent, signal) {
  for (;;) {
    try {
      const res = await fetch(`/api/v1/${path}`, { headers: { Authorization: `Bearer ${token()}` }, signal });
      if (!res.ok) { onEvent('error', await res.json().catch(() => ({ error: `HTTP ${res.status}` }))); return; }
      const reader = res.body.getReader();
      const dec = new TextDecoder();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += dec.decode(value, { stream: true });
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          let type = 'message', data = '';
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) type = line.slice(7);
            else if (line.startsWith('data: ')) data += line.slice(6);
          }
          if (data) onEvent(type, JSON.parse(data));
        }
      }
    } catch (e) {
      if (signal && signal.aborted) return;
    }
    await new Promise(r => setTimeout(r, 2000));
  }
}
