import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { createQueryRouter, type QueryRouterDeps } from '../../projections';
import { AppError, ValidationError } from '../../src/infrastructure/errors';

/**
 * Builds a bare app around the query router. The service's own error
 * middleware renders problem+json. This one only returns code, status, params
 * and headers, so tests can check them. A request the router passes on gets 418.
 */
export function queryTestApp(deps: QueryRouterDeps): Express {
  const app = express();
  app.set('query parser', 'simple');
  app.set('etag', false);
  app.use(createQueryRouter(deps));
  app.use((_req: Request, res: Response) => {
    res.status(418).json({ passedOn: true });
  });
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (error instanceof AppError) {
      res.set(error.headers);
      const body: Record<string, unknown> = { code: error.code, params: error.params };
      if (error instanceof ValidationError) body.errors = error.fieldErrors;
      res.status(error.status).json(body);
      return;
    }
    res.status(500).json({ code: 'INTERNAL', message: (error as Error).message });
  });
  return app;
}
