// The HTTP API (JSON), Prometheus metrics and a small status page, on api.listen.
import Fastify, { type FastifyInstance } from 'fastify';
import type { Appliance } from '../core/appliance.js';
import { renderStatusPage } from './status-page.js';

export async function startApi(appliance: Appliance, listen: string): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  const { inventory, wan, metrics } = appliance;

  app.get('/api/phones', async () => inventory.list());
  app.get<{ Params: { name: string } }>('/api/phones/:name', async (req, reply) => {
    const phone = inventory.find({ deviceName: req.params.name }) ?? inventory.find({ mac: req.params.name });
    if (!phone) return reply.code(404).send({ error: `no phone ${req.params.name}` });
    return { ...phone, journey: await inventory.journey(phone.deviceName) };
  });
  app.get('/api/wan', async () => wan.snapshot());
  app.get('/api/registrations', async () => appliance.registrations());
  app.get<{ Params: { view: string } }>('/api/:view', async (req, reply) => {
    const view = appliance.views()[req.params.view];
    if (!view) return reply.code(404).send({ error: `no such view: ${req.params.view}` });
    return view();
  });
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', metrics.contentType);
    return metrics.metrics();
  });
  app.get('/', async (_req, reply) => {
    reply.header('content-type', 'text/html; charset=utf-8');
    return renderStatusPage(wan.snapshot(), inventory.list());
  });

  const idx = listen.lastIndexOf(':');
  await app.listen({ host: listen.slice(0, idx), port: Number(listen.slice(idx + 1)) });
  return app;
}
