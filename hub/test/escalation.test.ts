import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerSmsProvider, type SmsProvider } from '../src/billing/index.js';
import { FakeAgent } from './support/fake-agent.js';
import { ADMIN_PASSWORD, demoPassword, startTestHub, type TestHub } from './support/hub.js';
import { startMailbox, type Mailbox } from './support/mailbox.js';
import { openLiveStream } from './support/live-stream.js';
import { waitFor } from './support/wait.js';

const BUILDING = 'bldg-esc';

/** Every SMS the hub hands to the gateway, in order. */
const texts: { to: string; text: string }[] = [];
const recordingSms: SmsProvider = {
  async send(to, text) {
    texts.push({ to, text });
    return { id: `sms-${texts.length}` };
  },
};
registerSmsProvider('escalation-recording', () => recordingSms);

/**
 * Escalation of unacknowledged critical alarms to a named person per building, on the
 * live stream and through the hub's real mailer (a local SMTP server) and SMS gateway.
 */
describe('alarm escalation to a building contact (pglite)', () => {
  let hub: TestHub;
  let mailbox: Mailbox;
  let agent: FakeAgent;
  let door: number;
  let supervisorId: number;
  const tokens: Record<string, string> = {};

  const api = async <T = Record<string, unknown>>(who: string, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown): Promise<{ status: number; body: T }> => {
    const res = await hub.http.inject({ method, url, payload: payload as object, headers: { authorization: `Bearer ${tokens[who]}` } });
    return { status: res.statusCode, body: (res.body ? res.json() : undefined) as T };
  };

  beforeAll(async () => {
    mailbox = await startMailbox();
    hub = await startTestHub('pglite', { ALARM_DEFAULT_RULES: 'false', SMTP_URL: mailbox.url, SMS_PROVIDER: 'escalation-recording' });
    tokens.admin = await hub.login('admin', ADMIN_PASSWORD);
    tokens.manager = await hub.login('manager', demoPassword(hub, 'manager'));
    tokens.guard = await hub.login('guard', demoPassword(hub, 'guard'));
    agent = await FakeAgent.connect(hub, { site: 'site-esc', building: BUILDING, agent: 'agent-esc' });
    door = await agent.birth('door-esc', 'door');
    // The night supervisor is a guard by role: escalations reach them only because they are named.
    const created = await api<{ id: number }>('admin', 'POST', '/api/users', { username: 'nightsup', displayName: 'Night supervisor', password: 'a-long-enough-password-2', role: 'guard', mustChangePassword: false });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    supervisorId = created.body.id;
    tokens.nightsup = await hub.login('nightsup', 'a-long-enough-password-2');
    await hub.db.query(`INSERT INTO staff (user_id, name, trades, email, phone) VALUES ($1, 'Night supervisor', '{security}', 'nightsup@example.test', '+8613800000001')`, [supervisorId]);
    const manager = (await hub.db.query<{ id: string }>(`SELECT id FROM users WHERE username = 'manager'`)).rows[0].id;
    await hub.db.query(`INSERT INTO staff (user_id, name, trades, email) VALUES ($1, 'Duty manager', '{}', 'manager@example.test')`, [manager]);
  });
  afterAll(async () => {
    await agent?.close();
    await hub?.close();
    await mailbox?.close();
  });

  it('is set per building by managers (audited), addressed live to that person and sent by e-mail and SMS; managers otherwise', async () => {
    expect((await api('guard', 'PUT', `/api/alarm-escalation-targets/${BUILDING}`, { userId: supervisorId })).status).toBe(403);
    const unknown = await api<{ error: { message: string } }>('admin', 'PUT', `/api/alarm-escalation-targets/${BUILDING}`, { userId: 999999 });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toMatch(/no user 999999/);
    expect((await api('manager', 'PUT', '/api/alarm-escalation-targets/no-such-building', { userId: supervisorId })).status).toBe(404);
    const set = await api<{ target: { buildingId: string; userId: number; username: string; updatedBy: string } }>('manager', 'PUT', `/api/alarm-escalation-targets/${BUILDING}`, { userId: supervisorId });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect(set.body.target).toMatchObject({ buildingId: BUILDING, userId: supervisorId, username: 'nightsup', updatedBy: 'manager' });
    expect((await api<{ targets: unknown[] }>('admin', 'GET', '/api/alarm-escalation-targets')).body.targets).toEqual([expect.objectContaining({ buildingId: BUILDING, userId: supervisorId })]);
    const audit = await hub.db.query<{ actor: string; details: unknown }>(`SELECT actor, details FROM audit_log WHERE action = 'alarm.escalation_target.set' AND target_id = $1`, [BUILDING]);
    expect(audit.rows).toEqual([{ actor: 'manager', details: { userId: supervisorId, previousUserId: null } }]);

    const rule = await api<{ rule: { id: number } }>('admin', 'POST', '/api/alarm-rules', {
      name: 'Door forced (esc)',
      scope: { type: 'device', id: String(door) },
      priority: 'critical',
      category: 'security',
      definition: { condition: { kind: 'event', raise: ['door.forced'], clear: ['door.closed'] }, escalateAfterSec: 60, workOrder: { create: false } },
    });
    expect(rule.status).toBe(201);
    const alarmRow = () => hub.db.query<{ id: string; state: string }>('SELECT id, state FROM alarms WHERE rule_id = $1', [rule.body.rule.id]).then((r) => r.rows[0]);

    const supervisor = await openLiveStream(hub, tokens.nightsup);
    const manager = await openLiveStream(hub, tokens.manager);
    try {
      await agent.event('door-esc', 'door.forced');
      const alarm = await waitFor(async () => ((await alarmRow())?.state === 'unack' ? await alarmRow() : undefined), 'door forced raised');
      // The engine's own sweep may be running (it then skips this call): sweep until it is done; it claims each escalation once.
      const escalated = await waitFor(async () => {
        await hub.alarmEngine.sweep(new Date(Date.now() + 61_000));
        return supervisor.frames.find((f) => f.type === 'alarm.escalated' && f.data.alarmId === Number(alarm.id));
      }, 'the supervisor gets the escalation live');
      expect(escalated.data.escalatedTo).toEqual({ userIds: [supervisorId], named: true });
      await waitFor(() => manager.frames.some((f) => f.id === escalated.id), 'managers still see it on the console');

      await hub.alarms.notificationsSent();
      expect(mailbox.mails.map((m) => m.to)).toEqual([['nightsup@example.test']]);
      expect(mailbox.mails[0].subject).toBe('[Warden] ESCALATED critical alarm not acknowledged: Door forced (esc) at door-esc name');
      expect(mailbox.mails[0].text).toContain('You are the escalation contact for this building.');
      expect(texts).toEqual([{ to: '+8613800000001', text: expect.stringContaining('critical alarm not acknowledged: Door forced (esc) at door-esc name (bldg-esc)') }]);
      const notified = await hub.db.query<{ details: { named: boolean; outcomes: unknown[] } }>(`SELECT details FROM audit_log WHERE action = 'alarm.escalation_notified' AND target_id = $1`, [alarm.id]);
      expect(notified.rows[0].details).toMatchObject({ named: true, outcomes: [{ userId: supervisorId, channel: 'email', ok: true }, { userId: supervisorId, channel: 'sms', ok: true }] });
      expect(JSON.stringify(notified.rows)).not.toContain('nightsup@example.test'); // no contact details in the audit log

      // Without a contact the building's managers are escalated to.
      await api('guard', 'POST', `/api/alarms/${alarm.id}/ack`, { disposition: 'test' });
      await agent.event('door-esc', 'door.closed');
      await waitFor(async () => (await alarmRow())?.state === 'normal', 'back to normal');
      expect((await api('manager', 'DELETE', `/api/alarm-escalation-targets/${BUILDING}`)).status).toBe(204);
      expect((await api('manager', 'DELETE', `/api/alarm-escalation-targets/${BUILDING}`)).status).toBe(404);
      await agent.event('door-esc', 'door.forced');
      await waitFor(async () => (await alarmRow())?.state === 'unack', 'raised again');
      await waitFor(async () => {
        await hub.alarmEngine.sweep(new Date(Date.now() + 61_000));
        await hub.alarms.notificationsSent();
        return mailbox.mails.length === 2;
      }, 'the second escalation mailed');
      expect(mailbox.mails.map((m) => m.to)).toEqual([['nightsup@example.test'], ['manager@example.test']]);
      expect(mailbox.mails[1].text).toContain('No escalation contact is set for this building');
      expect(texts).toHaveLength(1); // the manager has no phone on record
      await api('guard', 'POST', `/api/alarms/${alarm.id}/ack`, { disposition: 'test' });
      await agent.event('door-esc', 'door.closed');
    } finally {
      supervisor.close();
      manager.close();
    }
  });
});
