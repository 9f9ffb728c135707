import { parseArgs } from 'node:util';
import { EmbeddedPostgresError } from '../adapters/embedded/errors.ts';
import { ConfigError, loadConfig } from '../config.ts';
import { check, migrateCommand, reconcileCommand, seedCommand } from './maintenance.ts';
import { openapiCommand, OPENAPI_HELP } from './openapi.ts';
import { runWorker, serveCommand } from './serve.ts';
import { simulate, SIMULATE_HELP } from './simulate.ts';

interface Command {
  summary: string;
  help: string;
  run: (args: string[]) => Promise<number | void>;
}

const CONFIG_HELP =
  'Configuration comes from the environment; see the README (DATABASE_URL, REDIS_URL or REDIS_CLUSTER_NODES, PORT, ...).\n' +
  'Without DATABASE_URL an embedded PostgreSQL keeps its data under DATA_DIR (default ./.data); without REDIS_URL or REDIS_CLUSTER_NODES in-process stand-ins replace Redis.';

const commands: Record<string, Command> = {
  serve: {
    summary: 'serve the HTTP API (and process expiry jobs unless RUN_WORKER=false)',
    help:
      'Applies pending migrations, then serves the API on HOST:PORT. Stops gracefully on SIGTERM.\n\n' +
      '  --processes <n>   n API processes sharing the port (default WEB_CONCURRENCY, else 1);\n' +
      '                    0 or auto = one per core. A process that dies is replaced; SIGTERM drains them all.',
    run: (args) => serveCommand(loadConfig(), args),
  },
  worker: {
    summary: 'run a queue worker alone: hold-expiry jobs, sweeper, reconciler',
    help: 'Processes hold-expiry jobs, expires overdue holds whose job was lost, and reconciles the Redis mirror.',
    run: () => runWorker(loadConfig()),
  },
  migrate: {
    summary: 'apply pending database migrations',
    help: 'Applies the numbered SQL migrations not applied yet. Safe to run on several machines at once.',
    run: () => migrateCommand(loadConfig()),
  },
  seed: {
    summary: 'create the demo products (safe to run twice)',
    help: 'Creates product 1 "Flash Sale Item" (stock 100) and a few more, unless they exist.',
    run: () => seedCommand(loadConfig()),
  },
  reconcile: {
    summary: 're-copy database stock into the Redis mirror and report drift repaired',
    help: "Copies every product's available stock from PostgreSQL into Redis with the versioned compare-and-set.",
    run: () => reconcileCommand(loadConfig()),
  },
  check: {
    summary: 'verify the invariants against the live database and Redis (exit 1 on a violation)',
    help: 'Checks available + held + ordered = total stock, available >= 0 and Redis = database for every product.',
    run: () => check(loadConfig()),
  },
  openapi: {
    summary: 'print the OpenAPI document (no database needed)',
    help: OPENAPI_HELP,
    run: (args) => openapiCommand(args),
  },
  simulate: {
    summary: 'play a flash sale against a running service and report speed and invariants',
    help: SIMULATE_HELP.split('\n').slice(2).join('\n'),
    run: (args) => simulate(loadConfig(), args),
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `Usage: flashsale <command> [--help]\n\nCommands:\n${lines.join('\n')}\n\n${CONFIG_HELP}\n`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 1;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`flashsale: unknown command "${name}"\n\n${usage()}`);
    return 1;
  }
  const { values } = parseArgs({ args: rest, options: { help: { type: 'boolean', short: 'h' } }, strict: false });
  if (values.help) {
    process.stdout.write(`Usage: flashsale ${name}\n\n${command.help}\n\n${CONFIG_HELP}\n`);
    return 0;
  }
  return (await command.run(rest)) ?? 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof ConfigError || err instanceof EmbeddedPostgresError) process.stderr.write(`flashsale: ${err.message}\n`);
    else process.stderr.write(`flashsale: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
