import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { PassThrough } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Static } from 'typebox';
import { ADMIN_SECURITY, requireAdminToken } from '../../plugins/admin-auth.ts';
import { htmlResponse, problems, PUBLIC_SECURITY } from '../../schemas/common.ts';
import { SaleSnapshot, type SaleSnapshotView as SnapshotView } from '../../../contract/dashboard.ts';
import { DashboardAssetParams } from '../../schemas/dashboard.ts';

const require = createRequire(import.meta.url);
const page = (name: string) => readFileSync(new URL(`../../../../public/dashboard/${name}`, import.meta.url), 'utf8');
const uplot = (name: string) => readFileSync(require.resolve(`uplot/dist/${name}`), 'utf8');

/** The page's files, read once: the page works offline, nothing comes from elsewhere. */
const ASSETS: Record<Static<typeof DashboardAssetParams>['asset'], { type: string; body: string }> = {
  'dashboard.js': { type: 'text/javascript; charset=utf-8', body: page('dashboard.js') },
  'dashboard.css': { type: 'text/css; charset=utf-8', body: page('dashboard.css') },
  'uPlot.iife.min.js': { type: 'text/javascript; charset=utf-8', body: uplot('uPlot.iife.min.js') },
  'uPlot.min.css': { type: 'text/css; charset=utf-8', body: uplot('uPlot.min.css') },
};
const INDEX = page('index.html');

/** One server-sent event; the text is built once per snapshot, whatever the number of streams. */
const frames = new WeakMap<SnapshotView, string>();
function frameOf(snapshot: SnapshotView): string {
  let frame = frames.get(snapshot);
  if (!frame) {
    frame = `id: ${snapshot.second}\nevent: sale\ndata: ${JSON.stringify(snapshot)}\n\n`;
    frames.set(snapshot, frame);
  }
  return frame;
}

/** The live sale dashboard: the page and its files, and the admin stream it reads. */
const dashboard: FastifyPluginAsyncTypebox = async (app) => {
  const feed = app.flashsale.dashboard;
  const open = new Set<PassThrough>();
  const common = { tags: ['dashboard'] };

  app.get(
    '/dashboard',
    {
      schema: {
        ...common,
        operationId: 'getDashboardPage',
        // The page itself is public; everything it shows comes from the admin stream, with the token.
        security: PUBLIC_SECURITY,
        summary: 'The live sale dashboard (HTML)',
        description: 'Asks for the admin token, then shows GET /api/admin/dashboard/stream.',
        response: { 200: htmlResponse('The page', '<!doctype html><html lang="en">…</html>') },
      },
    },
    async (_request, reply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(INDEX),
  );

  app.get(
    '/dashboard/:asset',
    {
      schema: {
        ...common,
        operationId: 'getDashboardAsset',
        security: PUBLIC_SECURITY,
        summary: "One of the dashboard page's scripts or style sheets",
        params: DashboardAssetParams,
        response: {
          200: {
            description: 'The file',
            content: { 'text/javascript': { schema: { type: 'string', examples: ['"use strict";…'] } } },
          },
          ...problems(400),
        },
      },
    },
    async (request, reply) => {
      const asset = ASSETS[request.params.asset];
      return reply.type(asset.type).header('cache-control', 'no-cache').send(asset.body);
    },
  );

  if (!feed) return;
  app.get(
    '/api/admin/dashboard/stream',
    {
      onRequest: requireAdminToken(app.flashsale.adminToken),
      schema: {
        tags: ['admin'],
        operationId: 'streamDashboard',
        security: ADMIN_SECURITY,
        summary: 'The sale as a whole, live: a server-sent event every second',
        description:
          'text/event-stream of `sale` events, one a second, whose data is a JSON SaleSnapshot: every product ' +
          '{id, name, total_stock, available, held, ordered, paid} exact from PostgreSQL, and the per-second ' +
          'rates and hold latency summed over every API process and worker.',
        response: {
          200: { description: 'Server-sent events', content: { 'text/event-stream': { schema: SaleSnapshot } } },
          ...problems(401, 403),
        },
      },
    },
    async (_request, reply) => {
      const stream = new PassThrough();
      open.add(stream);
      // A client that does not keep up misses snapshots rather than piling them up here.
      const unsubscribe = feed.subscribe((snapshot) => {
        if (!stream.writableNeedDrain) stream.write(frameOf(snapshot));
      });
      stream.once('close', () => {
        unsubscribe();
        open.delete(stream);
      });
      return reply
        .type('text/event-stream; charset=utf-8')
        .header('cache-control', 'no-cache, no-transform')
        .header('x-accel-buffering', 'no')
        .send(stream as never); // the schema documents each event's data; the body is their stream
    },
  );

  // A stream never ends by itself: closing the server ends them, so that shutdown does not wait.
  app.addHook('preClose', async () => {
    for (const stream of open) stream.end();
  });
};

export default dashboard;
