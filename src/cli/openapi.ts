import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../config.ts';
import { buildApp } from '../http/app.ts';
import { openapiGaps } from '../http/openapi-gaps.ts';
import { createRuntime, httpDependencies } from '../runtime.ts';

/**
 * The OpenAPI document exactly as `GET /openapi.json` serves it, built from the route schemas
 * without any backing service: the runtime's pool connects lazily and is never used, and the
 * in-process stand-ins replace Redis. Linted in CI and the source of the typed client.
 */
export async function openapiDocument(): Promise<Record<string, unknown>> {
  const config = loadConfig({ DATABASE_URL: 'postgres://127.0.0.1:1/unused', LOG_LEVEL: 'silent' });
  const rt = createRuntime(config, pino({ level: 'silent' }), 'cli');
  try {
    const app = await buildApp(httpDependencies(rt));
    try {
      const res = await app.inject({ method: 'GET', url: '/openapi.json' });
      return res.json();
    } finally {
      await app.close();
    }
  } finally {
    await rt.close();
  }
}

export const OPENAPI_HELP =
  'Prints the OpenAPI document that GET /openapi.json serves, built from the route schemas without\n' +
  'connecting to anything.\n' +
  '  --out FILE    write it to FILE instead\n' +
  '  --check       exit 1, naming each gap, when an operation lacks an operationId, a security\n' +
  '                declaration, an example of a body, or (under /api) a 4xx response';

export async function openapiCommand(args: string[]): Promise<number> {
  const option = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const document = await openapiDocument();
  const json = `${JSON.stringify(document, null, 2)}\n`;
  const out = option('--out');
  if (out) {
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, json);
  } else process.stdout.write(json);
  if (args.includes('--check')) {
    const gaps = openapiGaps(document);
    for (const gap of gaps) process.stderr.write(`openapi: ${gap}\n`);
    if (gaps.length > 0) return 1;
  }
  return 0;
}
