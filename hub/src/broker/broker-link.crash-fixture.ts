/**
 * A hub link that dies mid-write, for broker-link.test.ts: it subscribes, reports
 * each message on stdout and never finishes handling it, until the test kills
 * the process with SIGKILL. Run with `node --import tsx`.
 */
import pino from 'pino';
import { BrokerLink } from './broker-link.js';

const { LINK_URL, LINK_HUB_ID, LINK_FILTER } = process.env;
if (!LINK_URL || !LINK_HUB_ID || !LINK_FILTER) throw new Error('LINK_URL, LINK_HUB_ID and LINK_FILTER are required');

const link = new BrokerLink(pino({ level: 'silent' }), {
  url: LINK_URL,
  external: true,
  hubId: LINK_HUB_ID,
  sharedSubscriptions: 'false',
  sharedGroup: 'warden',
  sessionExpirySeconds: 120,
});
await link.subscribe([LINK_FILTER], (topic, payload) => {
  process.stdout.write(`handling ${payload.toString()}\n`);
  return new Promise<void>(() => {});
});
await link.start();
process.stdout.write('ready\n');
