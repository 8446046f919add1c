import type * as http from 'node:http';
import { HttpError } from './errors';

/** A route's handler: answers through res (sendJson), or throws an HttpError. */
export type Handler<C> = (ctx: C, params: string[]) => void | Promise<void>;

/** Matches a pathname: the captured parts, or null. A string matches exactly. */
export type PathMatcher = string | RegExp | ((pathname: string) => string[] | null);

interface Route<C> {
  match: PathMatcher;
  methods: Map<string, Handler<C>>;
}

function matchPath(m: PathMatcher, pathname: string): string[] | null {
  if (typeof m === 'string') return m === pathname ? [] : null;
  if (m instanceof RegExp) {
    const r = m.exec(pathname);
    return r ? r.slice(1) : null;
  }
  return m(pathname);
}

/** A route table: the first path that matches decides; 404 for no path, 405 (with Allow) for another method. */
export class Router<C> {
  private readonly routes: Array<Route<C>> = [];

  on(method: string, path: PathMatcher, handler: Handler<C>): this {
    let route = this.routes.find((r) => r.match === path);
    if (!route) {
      route = { match: path, methods: new Map() };
      this.routes.push(route);
    }
    route.methods.set(method.toUpperCase(), handler);
    return this;
  }

  post(path: PathMatcher, handler: Handler<C>): this {
    return this.on('POST', path, handler);
  }

  get(path: PathMatcher, handler: Handler<C>): this {
    return this.on('GET', path, handler);
  }

  /** The handler and its captures, or the 404/405 HttpError to answer. */
  resolve(method: string, pathname: string): { handler: Handler<C>; params: string[] } | HttpError {
    for (const r of this.routes) {
      const params = matchPath(r.match, pathname);
      if (!params) continue;
      const handler = r.methods.get(method.toUpperCase());
      if (handler) return { handler, params };
      const allow = [...r.methods.keys()].join(', ');
      return new HttpError(405, `Only ${allow} is supported`, undefined, { Allow: allow });
    }
    return new HttpError(404, `nothing at ${pathname}`);
  }
}

/** The pathname of a request URL (no query). */
export function pathnameOf(req: http.IncomingMessage): string {
  return (req.url ?? '/').split('?')[0]!;
}
