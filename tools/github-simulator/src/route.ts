/** What a route of the simulator answers; the server turns it into the HTTP response. */
export interface Answer {
  status?: number;
  body: unknown;
  headers?: Record<string, string>;
  /**
   * Paginated list: slice by `page`/`per_page` and send `Link`; a string names the list in an
   * object that wraps it (`{total_count, check_runs}`).
   */
  paginate?: boolean | string;
}

/** A REST route: its method, its path, and the answer to a match, the query and the JSON body. */
export type MethodRoute = [
  string,
  RegExp,
  (m: RegExpExecArray, url: URL, body: Record<string, unknown>) => Answer,
];

/** The start of a path under `/repos/{owner}/{repo}`, capturing the owner and the name. */
export const REPO_PATH = '^\\/repos\\/([^/]+)\\/([^/]+)';
