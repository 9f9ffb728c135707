import { execSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import type { Measurement } from './lib/measure.ts';

/** One line of the table: a measurement, its baseline, and the target on their ratio. */
export interface Row {
  scenario: string;
  service: string;
  baseline: string;
  ratio: number | null;
  /** e.g. ">= 0.7x"; met is null when the row has no target. */
  target: string;
  met: boolean | null;
  /** By how much a missed target was missed. */
  miss?: string;
}

export const fmtRate = (m: Measurement): string =>
  `${Math.round(m.rate).toLocaleString('en-US')}/s p50 ${fmtMs(m.p50)} p99 ${fmtMs(m.p99)}`;
export const fmtMs = (ms: number): string =>
  Number.isFinite(ms) ? (ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`) : '-';

/** A ratio target: `actual / baseline >= want`. */
export function ratioRow(
  scenario: string,
  actual: Measurement,
  baseline: Measurement,
  want: number | null,
  baselineName: string,
): Row {
  const ratio = baseline.rate > 0 ? actual.rate / baseline.rate : null;
  const met = want === null || ratio === null ? null : ratio >= want;
  return {
    scenario,
    service: fmtRate(actual) + (actual.note ? ` (${actual.note})` : ''),
    baseline: `${baselineName}: ${fmtRate(baseline)}`,
    ratio,
    target: want === null ? '-' : `>= ${want}x`,
    met,
    miss: met === false && ratio !== null ? `${((1 - ratio / want!) * 100).toFixed(0)}% short` : undefined,
  };
}

/** A plain markdown table, readable in a terminal too. */
export function table(rows: Row[]): string {
  const header = ['scenario', 'flashsale', 'baseline (same run)', 'ratio', 'target', 'met'];
  const cells = rows.map((r) => [
    r.scenario,
    r.service,
    r.baseline,
    r.ratio === null ? '-' : `${r.ratio.toFixed(2)}x`,
    r.target,
    r.met === null ? '-' : r.met ? 'yes' : `NO, ${r.miss}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => `| ${c.map((x, i) => x.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.map(line)].join('\n');
}

export function machine(): string {
  const cpu = cpus();
  let pg: string;
  try {
    pg = execSync('psql --version', { encoding: 'utf8' }).trim();
  } catch {
    pg = 'PostgreSQL (version unknown)';
  }
  return `${cpu.length} x ${cpu[0]?.model.trim() ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GB RAM, Node ${process.version}, ${pg}, loopback`;
}
