import type { NextFunction, Request, Response } from 'express';

interface BodyParserError extends Error {
  type?: string;
  status?: number;
  expose?: boolean;
}

/**
 * Express error middleware for what body-parser rejects before Nest routing sees the request:
 * malformed JSON, oversized bodies, unsupported charsets. Answers in the service's error shape.
 */
export function bodyErrorHandler(
  err: BodyParserError,
  _req: Request,
  res: Response,
  next: NextFunction,
): void {
  if (res.headersSent) return next(err);
  switch (err.type ?? '') {
    case 'entity.parse.failed':
      res
        .status(400)
        .json({ code: 'MALFORMED_JSON', message: 'The request body is not valid JSON.' });
      return;
    case 'entity.too.large':
      res
        .status(413)
        .json({ code: 'PAYLOAD_TOO_LARGE', message: 'The request body is too large.' });
      return;
    case 'charset.unsupported':
    case 'encoding.unsupported':
      res
        .status(415)
        .json({ code: 'UNSUPPORTED_MEDIA_TYPE', message: 'The body encoding is not supported.' });
      return;
    default:
      if (typeof err.status === 'number' && err.status >= 400 && err.status < 500) {
        res
          .status(err.status)
          .json({ code: 'VALIDATION_FAILED', message: 'The request body was refused.' });
        return;
      }
      next(err);
  }
}
