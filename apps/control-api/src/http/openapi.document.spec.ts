import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { compileErrors, validate } from '@readme/openapi-parser';
import { AlertsController } from '../alerts/alerts/alerts.controller';
import { RulesController } from '../alerts/rules/rules.controller';
import { SilencesController } from '../alerts/silences/silences.controller';
import { CommandsController } from '../commands/commands.controller';
import { FleetController } from '../fleet/fleet.controller';
import { AgentKeysController } from '../keys/agent-keys.controller';
import { openApiDocument, ROUTES } from './openapi.document';

/** `get /v1/agent-keys/{key_id}` for every handler of the API controllers, read from Nest's own metadata. */
function controllerRoutes(): string[] {
  const routes: string[] = [];
  for (const controller of [
    AgentKeysController,
    FleetController,
    CommandsController,
    RulesController,
    SilencesController,
    AlertsController,
  ]) {
    const base = Reflect.getMetadata(PATH_METADATA, controller) as string;
    const proto = controller.prototype as unknown as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(proto)) {
      const handler = proto[name];
      if (name === 'constructor' || typeof handler !== 'function') continue;
      const path = Reflect.getMetadata(PATH_METADATA, handler) as string | undefined;
      if (path === undefined) continue;
      const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
      const full = `/${[base, path].filter((p) => p !== '/' && p !== '').join('/')}`;
      routes.push(`${method.toLowerCase()} ${full.replace(/:(\w+)/g, '{$1}')}`);
    }
  }
  return routes.sort();
}

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document for the parser, without warnings', async () => {
    // validate() dereferences in place: it gets a copy.
    const document = structuredClone(openApiDocument('http://127.0.0.1:8083'));
    const result = await validate(document as unknown as Parameters<typeof validate>[0]);
    if (!result.valid) throw new Error(compileErrors(result));
    expect(result.warnings).toEqual([]);
    expect(result.specification).toBe('OpenAPI');
  });

  it('has exactly the routes the controllers serve', () => {
    const documented = Object.entries(openApiDocument().paths as Record<string, object>).flatMap(
      ([path, operations]) => Object.keys(operations).map((method) => `${method} ${path}`),
    );
    expect(controllerRoutes()).toHaveLength(ROUTES.length);
    expect(documented.sort()).toEqual(controllerRoutes());
  });

  it('has a unique operationId per operation', () => {
    const paths = openApiDocument().paths as Record<string, Record<string, { operationId: string }>>;
    const ids = Object.values(paths).flatMap((ops) => Object.values(ops).map((op) => op.operationId));
    expect(new Set(ids).size).toBe(ids.length);
  });
});
