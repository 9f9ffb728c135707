import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

async function flashsale(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run('node', ['bin/flashsale.js', ...args], {
      env: { PATH: process.env.PATH!, ...env },
      timeout: 30_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('the flashsale command', () => {
  it('lists its commands, and each has --help', async () => {
    const help = await flashsale(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['serve', 'worker', 'migrate', 'seed', 'reconcile', 'check']) {
      expect(help.stdout).toContain(command);
      const sub = await flashsale([command, '--help']);
      expect(sub.code, command).toBe(0);
      expect(sub.stdout).toContain(`Usage: flashsale ${command}`);
    }
  });

  it('refuses a bad configuration at boot with a clear message and exit code 1', async () => {
    const res = await flashsale(['serve'], { PORT: 'eighty', HOLD_TTL_SECONDS: '-5' });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('Invalid configuration');
    expect(res.stderr).toContain('PORT');
    expect(res.stderr).toContain('HOLD_TTL_SECONDS');
    expect(res.stderr).not.toMatch(/at .+\.ts:\d+/);
  });

  it('an unknown command is an error', async () => {
    const res = await flashsale(['explode']);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('unknown command');
  });
});
