import type { Octokit } from '@octokit/core';

/**
 * An Octokit plugin that reads GitHub's successful JSON answers with `JSON.parse`.
 * `@octokit/request` reads them with json-with-bigint, whose reviver visits every value to keep
 * integers beyond 2^53 exact: a fifth of the scanner's CPU during a scan (`npm run bench:scan`
 * with `--scanner-node-options=--cpu-prof`), for numbers GitHub does not send it (its ids are far
 * below 2^53). Errors and 304s are still read by Octokit. Installed before the throttling plugin,
 * so that its hooks see the parsed body.
 */
export function plainJson(octokit: Octokit): void {
  // Calls whose body this plugin reads (a retry goes through it again with the same options).
  const readHere = new WeakSet<object>();
  octokit.hook.wrap('request', async (request, options) => {
    // A caller that asked for the raw stream keeps it.
    if (options.request?.parseSuccessResponseBody === false && !readHere.has(options)) {
      return request(options);
    }
    readHere.add(options);
    // Set on this call's options, not passed anew: the hooks inside this one were bound to them.
    options.request = { ...options.request, parseSuccessResponseBody: false };
    const response = await request(options);
    const body = response.data as unknown;
    if (!(body instanceof ReadableStream)) return response;
    const type = String(response.headers['content-type'] ?? '');
    const read = new Response(body);
    if (/^application\/(scim\+)?json\b/i.test(type)) {
      const text = await read.text();
      try {
        response.data = JSON.parse(text);
      } catch {
        response.data = text;
      }
    } else {
      // As Octokit does: text for text, bytes for the rest.
      response.data = /^text\/|charset=utf-8/i.test(type)
        ? await read.text()
        : await read.arrayBuffer();
    }
    return response;
  });
}
