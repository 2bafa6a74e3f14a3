/** Small HTTP vocabulary shared by the routes: errors, replies and GitHub-style pagination. */

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export const notFound = () => new HttpError(404, "Not Found");

export function validationFailed(
  errors: Array<Record<string, unknown>>,
  message = "Validation Failed",
): HttpError {
  return new HttpError(422, message, { errors });
}

export interface Reply {
  status: number;
  /** JSON body, or raw text when `raw` is set. */
  body?: unknown;
  raw?: { text: string | Buffer; contentType: string };
  headers?: Record<string, string>;
  /** Never answered: the request hangs until the client gives up (an injected timeout). */
  hold?: boolean;
}

/** Slices a list by `per_page`/`page` and adds the Link header @octokit/plugin-paginate-rest follows. */
export function paginate<T>(items: T[], query: URLSearchParams, selfUrl: string): Reply {
  const perPage = Math.min(100, Math.max(1, Number(query.get("per_page")) || 30));
  const page = Math.max(1, Number(query.get("page")) || 1);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const body = items.slice((page - 1) * perPage, page * perPage);
  const link = (p: number, rel: string) => {
    const url = new URL(selfUrl);
    url.searchParams.set("per_page", String(perPage));
    url.searchParams.set("page", String(p));
    return `<${url.toString()}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (page > 1) links.push(link(page - 1, "prev"), link(1, "first"));
  if (page < last) links.push(link(page + 1, "next"), link(last, "last"));
  return { status: 200, body, headers: links.length ? { link: links.join(", ") } : {} };
}
