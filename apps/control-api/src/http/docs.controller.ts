import { Controller, Get, Header } from '@nestjs/common';
import { openApiDocument, ROUTES } from './openapi.document';

const escape = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * `/openapi.json` for tools, `/docs` for people: a self-contained page rendered from the same
 * document (no script or stylesheet from elsewhere, so it works offline and leaks no token).
 */
@Controller()
export class DocsController {
  private readonly document = openApiDocument();

  @Get('openapi.json')
  openapi(): Record<string, unknown> {
    return this.document;
  }

  @Get('docs')
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'")
  docs(): string {
    const paths = this.document.paths as Record<string, Record<string, unknown>>;
    const sections = ROUTES.map((r) => {
      const op = JSON.stringify(paths[r.path][r.method], null, 2);
      return `<section><h2><code>${r.method.toUpperCase()} ${escape(r.path)}</code></h2><p>${escape(r.summary)}</p><details><summary>parameters, body, responses</summary><pre>${escape(op)}</pre></details></section>`;
    }).join('\n');
    return `<!doctype html><html><head><meta charset="utf-8"><title>Control API</title><style>body{font-family:sans-serif;max-width:60em;margin:2em auto}pre{background:#f4f4f4;padding:1em;overflow:auto}</style></head><body><h1>Container agent control API</h1><p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1). Every call takes <code>Authorization: Bearer &lt;token&gt;</code>; errors are <code>application/problem+json</code>.</p>${sections}</body></html>`;
  }
}
