#!/usr/bin/env node
// Runs the compiled CLI: dist/, built by `npm run build`, which `npm ci` runs through `prepare`.
// Tests and development run the TypeScript sources through tsx instead.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/index.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('flashsale: dist/ is missing; run `npm run build` (`npm ci` runs it).\n');
  process.exit(1);
}
await import(entry.href);
