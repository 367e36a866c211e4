/** What the HTTP test clients hand back: the status, the headers and the body, parsed. */
export interface HttpResponse {
  status: number;
  headers: Headers;
  body: any;
}

/** Reads a response: its body as JSON when it parses, else as text; undefined when empty. */
export async function readResponse(response: Response): Promise<HttpResponse> {
  const text = await response.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = text;
  }
  return { status: response.status, headers: response.headers, body: json };
}

/** Sends `token` as the API key unless the caller set an authorization header of its own. */
export function authorize(headers: Record<string, string>, token: string | undefined): void {
  if (token) headers.authorization ??= `Token ${token}`;
}
