/** Domain failures that map to one HTTP status and one stable `code`. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    detail: string,
  ) {
    super(detail);
    this.name = 'HttpError';
  }
}

export const notFound = (what = 'party') => new HttpError(404, `${what}_not_found`, `no such ${what}`);
