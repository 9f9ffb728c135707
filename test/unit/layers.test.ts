import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));

const importsOf = (file: string): string[] =>
  [...readFileSync(file, 'utf8').matchAll(/from\s+['"]([^'"]+)['"]/g)].map((m) => m[1]!);

describe('layers', () => {
  it('src/domain imports nothing but itself', () => {
    const offenders = files('src/domain').flatMap((f) =>
      importsOf(f)
        .filter((i) => !i.startsWith('./'))
        .map((i) => `${f}: ${i}`),
    );
    expect(offenders).toEqual([]);
  });

  it('src/app does not import the HTTP layer or the clients directly', () => {
    const forbidden = /^(fastify|ioredis|bullmq|@fastify\/|\.\.\/http\/)/;
    const offenders = files('src/app').flatMap((f) =>
      importsOf(f)
        .filter((i) => forbidden.test(i))
        .map((i) => `${f}: ${i}`),
    );
    expect(offenders).toEqual([]);
  });
});
