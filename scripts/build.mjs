// `npm run build` (and `prepare`, so `npm ci` builds): compiles src/ to dist/ with tsc and copies
// every file tsc does not emit (SQL, Lua, static files) beside the compiled modules that read them
// through `new URL(..., import.meta.url)`.
import { spawnSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const dist = `${root}dist`;
rmSync(dist, { recursive: true, force: true });

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
if (result.status !== 0) process.exit(result.status ?? 1);

cpSync(`${root}src`, dist, { recursive: true, filter: (path) => !path.endsWith('.ts') });
