import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface Server {
  url: string;
  pid: number;
  /** Milliseconds from spawning the process to its first 200 on the ready path. */
  startupMs: number;
  peakRssMb(): Promise<number | null>;
  /** Resident set size now (VmRSS), in MB. */
  rssMb(): Promise<number | null>;
  stop(): Promise<void>;
}

export interface Process {
  pid: number;
  /** Peak resident set size of the process so far (VmHWM), in MB; null where /proc is missing. */
  peakRssMb(): Promise<number | null>;
  stop(): Promise<void>;
  /** The last few kB it wrote to stderr. */
  stderr(): string;
}

/** Processes started here and still running: a bench that crashes must not leave servers behind. */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Starts a node process from the project root; its stderr is kept for error messages. */
export function startProcess(args: string[], env: Record<string, string>): Process & { child: ChildProcess } {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  return { child, pid: child.pid!, peakRssMb: () => peakRss(child.pid!), stop: () => stop(child), stderr: () => stderr };
}

/** Starts a process that serves HTTP on `port` and waits until `readyPath` answers 200. */
export async function startServer(args: string[], env: Record<string, string>, port: number, readyPath: string): Promise<Server> {
  // A process left on the port (by a run that crashed) would answer the readiness check, and its
  // memory and rates would be measured instead of this one's.
  if (await answers(port)) throw new Error(`port ${port} is already taken by another process (set BENCH_PORT_BASE)`);
  const started = performance.now();
  const proc = startProcess(args, { ...env, PORT: String(port), HOST: '127.0.0.1' });
  const { child } = proc;
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server ${args.join(' ')} exited (${child.exitCode}): ${proc.stderr()}`);
    const ok = await fetch(url + readyPath).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server ${args.join(' ')} not ready within 90 s: ${proc.stderr()}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    url,
    pid: child.pid!,
    startupMs: performance.now() - started,
    peakRssMb: () => peakRss(child.pid!),
    rssMb: () => peakRss(child.pid!, 'VmRSS'),
    stop: () => stop(child),
  };
}

/**
 * The flashsale API (`flashsale serve`) as its own process, logging at warn: the compiled
 * JavaScript as `npm start` runs it, or (`fromSource`) the TypeScript through tsx.
 */
export function startApi(env: Record<string, string>, port: number, fromSource = false): Promise<Server> {
  const args = fromSource ? ['--import', 'tsx', 'src/cli/index.ts', 'serve'] : [...startNodeFlags(), 'bin/flashsale.js', 'serve'];
  return startServer(args, { LOG_LEVEL: 'warn', ...env }, port, '/health/live');
}

/** Whether something accepts connections on 127.0.0.1:`port`. */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ, 100 on Linux). */
const CLOCK_TICKS = 100;

/** CPU time (user and system) the process has used so far, in seconds; null where /proc is missing. */
export async function cpuSeconds(pid: number): Promise<number | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // After the command name's closing parenthesis: state is field 3, utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

/** The Node options `npm start` gives the API (package.json's start script), so the bench runs it alike. */
function startNodeFlags(): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const words = pkg.scripts.start.split(/\s+/);
  return words.slice(words.indexOf('node') + 1, words.indexOf('bin/flashsale.js'));
}

async function peakRss(pid: number, field: 'VmHWM' | 'VmRSS' = 'VmHWM'): Promise<number | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1];
    return kb ? Math.round(Number(kb) / 1024) : null;
  } catch {
    return null;
  }
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
