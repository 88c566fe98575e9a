export interface SqlRequestOptions {
  /** `?format=`; the endpoint's default format when absent. */
  format?: string;
  /** Sent as `Authorization: Bearer <token>`; no Authorization header when absent. */
  token?: string;
  /** Extra request headers; they win over the Authorization header above. */
  headers?: Record<string, string>;
}

/** POSTs `body` to the /sql endpoint of the projector whose ops HTTP listens on 127.0.0.1:`port`. */
export function sqlRequest(port: number, body: string, options: SqlRequestOptions = {}): Promise<Response> {
  const query = options.format ? `?format=${encodeURIComponent(options.format)}` : '';
  return fetch(`http://127.0.0.1:${port}/sql${query}`, {
    method: 'POST',
    body,
    headers: {
      ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
      ...options.headers,
    },
  });
}

/** Runs read-only SQL through /sql and returns the JSONEachRow rows; any answer but 2xx throws. */
export async function sqlRows<T = Record<string, unknown>>(
  port: number,
  query: string,
  token?: string,
): Promise<T[]> {
  const response = await sqlRequest(port, query, { format: 'JSONEachRow', token });
  const text = await response.text();
  if (!response.ok) throw new Error(`SQL ${response.status}: ${text}`);
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as T);
}
