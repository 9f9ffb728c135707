import autocannon from 'autocannon';
import { readFileSync } from 'node:fs';
import { execSync } from 'node:child_process';
const pidOf = (port) => Number(execSync(`ss -ltnpH 'sport = :${port}' | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2`).toString().trim());
const cpu = (pid) => { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return (Number(f[11]) + Number(f[12])) * 10000; };
const targets = { lane: ['http://127.0.0.1:3821/api/holds', 3821], route: ['http://127.0.0.1:3822/api/holds', 3822], old: ['http://127.0.0.1:3823/api/holds', 3823], bare: ['http://127.0.0.1:3812/bare/hold', 3812] };
const out = {};
const entries = Object.entries(targets);
for (let r = 0; r < 5; r++) for (const [name, [url, port]] of (r % 2 ? [...entries].reverse() : entries)) {
  const pid = pidOf(port); const before = cpu(pid);
  const res = await autocannon({ url, method: 'POST', connections: 64, duration: 3, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ product_id: 1, quantity: 1 }) });
  const n = res.requests.total;
  if (r === 0) continue;
  (out[name] ??= []).push(`${Math.round(res.requests.average)}/s ${((cpu(pid) - before) / n).toFixed(0)}µs ${Object.keys(res.statusCodeStats)}`);
}
console.log(out);
