import { randomUUID } from 'node:crypto';
import type mqtt from 'mqtt';
import pg from 'pg';
import pino from 'pino';
import { encode } from '@warden/protocols';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upsertBuilding } from '../src/records/index.js';
import { autoBucket, hourGroups, RollupMaintainer, ROLLUP_LOCK_KEY, sourceFor } from '../src/telemetry/index.js';
import { databaseKinds } from './support/databases.js';
import { ADMIN_PASSWORD, connectTestAgent, demoPassword, startTestHub, type TestHub } from './support/hub.js';
import { waitFor } from './support/wait.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const floorTo = (ms: number, step: number) => Math.floor(ms / step) * step;

describe('history bucket rules', () => {
  it('picks the smallest bucket that keeps a chart at 500 points or fewer', () => {
    expect(autoBucket(HOUR)).toBe('1m');
    expect(autoBucket(DAY)).toBe('5m');
    expect(autoBucket(3 * DAY)).toBe('15m');
    expect(autoBucket(7 * DAY)).toBe('1h');
    expect(autoBucket(60 * DAY)).toBe('6h');
    expect(autoBucket(400 * DAY)).toBe('1d');
  });

  it('reads short ranges raw, sub-hour buckets from the 1-minute rollup and the rest from the hourly one', () => {
    expect(sourceFor('1m', 2 * HOUR, true)).toBe('raw');
    expect(sourceFor('1m', 2 * HOUR, false)).toBe('1m');
    expect(sourceFor('15m', DAY, true)).toBe('1m');
    expect(sourceFor('1h', 2 * HOUR, false)).toBe('1h');
    expect(sourceFor('1d', 30 * DAY, true)).toBe('1h');
  });
});

describe('rollup job planning', () => {
  it('recomputes each clock hour once, for the minutes and series the queued ranges touched, newest hour first', () => {
    const h = Date.UTC(2026, 10, 27, 8);
    const groups = hourGroups([
      { from: new Date(h + 5 * MINUTE + 10_000), to: new Date(h + 7 * MINUTE), seriesIds: [1, 2], historical: false },
      { from: new Date(h + 50 * MINUTE), to: new Date(h + HOUR + 3 * MINUTE + 1), seriesIds: [3], historical: true },
      { from: new Date(h - 3 * HOUR), to: new Date(h - 3 * HOUR), seriesIds: null, historical: true },
    ]);
    expect(groups).toEqual([
      { hour: h + HOUR, from: h + HOUR, to: h + HOUR + 4 * MINUTE, series: new Set([3]), historical: true },
      { hour: h, from: h + 5 * MINUTE, to: h + HOUR, series: new Set([1, 2, 3]), historical: false },
      { hour: h - 3 * HOUR, from: h - 3 * HOUR, to: h - 3 * HOUR + MINUTE, series: null, historical: true },
    ]);
  });
});

interface Reading {
  ts: number;
  value: number;
}

interface Expected {
  bucket: number;
  min: number;
  max: number;
  avg: number;
  last: number;
  count: number;
}

/** Aggregates readings per bucket in plain JavaScript: the reference the rollups must equal. */
function aggregate(readings: Reading[], stepMs: number): Expected[] {
  const byBucket = new Map<number, Reading[]>();
  for (const r of readings) {
    const b = floorTo(r.ts, stepMs);
    byBucket.set(b, [...(byBucket.get(b) ?? []), r]);
  }
  return [...byBucket.entries()]
    .sort(([a], [b]) => a - b)
    .map(([bucket, rs]) => {
      const values = rs.map((r) => r.value);
      const latest = rs.reduce((a, b) => (b.ts > a.ts ? b : a));
      return {
        bucket,
        min: Math.min(...values),
        max: Math.max(...values),
        avg: values.reduce((a, b) => a + b, 0) / values.length,
        last: latest.value,
        count: values.length,
      };
    });
}

interface StoredBucket {
  bucket: Date;
  min: number;
  max: number;
  avg: number;
  last: number;
  count: number;
}

function expectBuckets(actual: { bucket: number; min: number | null; max: number | null; avg: number | null; last: number | null; count: number }[], expected: Expected[]) {
  expect(actual.map((a) => a.bucket)).toEqual(expected.map((e) => e.bucket));
  actual.forEach((a, i) => {
    const e = expected[i];
    expect({ min: a.min, max: a.max, last: a.last, count: a.count }).toEqual({ min: e.min, max: e.max, last: e.last, count: e.count });
    expect(a.avg).toBeCloseTo(e.avg, 9);
  });
}

const site = 'site-h';
const agentId = 'agent-h1';
const address = { site, agent: agentId };

describe.each(databaseKinds)('telemetry history and upkeep on %s', (kind) => {
  let hub: TestHub;
  let agent: mqtt.MqttClient;
  let admin: string;
  let deviceId: number;
  const series: Record<string, number> = {};
  let seq = 0;
  const now = Date.now();

  const rollupRows = async (table: 'telemetry_1m' | 'telemetry_1h', seriesId: number, from: number, to: number) => {
    const { rows } = await hub.db.query<StoredBucket>(
      `SELECT bucket, min, max, avg, last, count FROM ${table} WHERE series_id = $1 AND bucket >= $2 AND bucket < $3 ORDER BY bucket`,
      [seriesId, new Date(from), new Date(to)],
    );
    return rows.map((r) => ({ ...r, bucket: r.bucket.getTime() }));
  };

  /** Publishes readings of device ahu-1 over MQTT and waits until they are stored. */
  const publish = async (points: { metric: string; ts: number; value: number | boolean | string }[], historical: boolean) => {
    const target = hub.ingest.stats().pointsStored + points.length;
    for (let i = 0; i < points.length; i += 200) {
      const msg = encode('telemetry', address, {
        v: 1,
        msgId: randomUUID(),
        seq: seq++,
        ts: Date.now(),
        historical,
        points: points.slice(i, i + 200).map((p) => ({ device: 'ahu-1', ...p })),
      });
      await agent.publishAsync(msg.topic, msg.payload, { qos: 1 });
    }
    await waitFor(() => hub.ingest.stats().pointsStored >= target, `${points.length} points stored`);
    await hub.ingest.drain();
  };

  const ensurePartitions = (from: number, to: number) =>
    hub.db.query(
      `SELECT warden_ensure_telemetry_partition(d::date)
         FROM generate_series(($1::timestamptz AT TIME ZONE 'UTC')::date, ($2::timestamptz AT TIME ZONE 'UTC')::date, interval '1 day') AS d`,
      [new Date(from), new Date(to)],
    );

  /** Loads readings straight into the table (every `stepMs`), as a bulk import would. */
  const insertDirect = async (seriesId: number, from: number, to: number, stepMs: number) => {
    await ensurePartitions(from, to);
    await hub.db.query(
      `INSERT INTO telemetry (series_id, ts, value)
       SELECT $1, t, round((50 + 10 * sin(date_part('epoch', t) / 600) + random())::numeric, 3)::float8
         FROM generate_series($2::timestamptz, $3::timestamptz, make_interval(secs => $4::float8 / 1000)) AS t`,
      [seriesId, new Date(from), new Date(to), stepMs],
    );
  };

  const get = (url: string, token = admin) => hub.http.inject({ url, headers: { authorization: `Bearer ${token}` } });
  const historyUrl = (q: Record<string, string>, csv = false) => `/api/devices/${deviceId}/history${csv ? '.csv' : ''}?${new URLSearchParams(q)}`;

  beforeAll(async () => {
    hub = await startTestHub(kind);
    agent = await connectTestAgent(hub, { site, siteName: 'History estate', building: 'bldg-h', agent: agentId, timezone: 'Asia/Shanghai' });
    await upsertBuilding(hub.db, { id: 'bldg-x', siteId: site, name: 'Tower X' });
    const birth = encode('deviceBirth', address, {
      v: 1,
      msgId: randomUUID(),
      seq: seq++,
      ts: Date.now(),
      device: { id: 'ahu-1', type: 'hvac.ahu', name: 'Air handler 1' },
      metrics: [
        { name: 'temperature', type: 'number', unit: 'Cel' },
        { name: 'pressure', type: 'number', unit: 'Pa' },
        { name: 'running', type: 'boolean' },
        { name: 'mode', type: 'string' },
      ],
    });
    await agent.publishAsync(birth.topic, birth.payload, { qos: 1 });
    const rows = await waitFor(async () => {
      const r = await hub.db.query<{ device_id: number; id: number; name: string }>('SELECT device_id, id, name FROM device_metrics');
      return r.rows.length === 4 ? r.rows : undefined;
    }, 'device birth');
    for (const r of rows) series[r.name] = r.id;
    deviceId = rows[0].device_id;
    admin = await hub.login('admin', ADMIN_PASSWORD);
    // Dense readings (every 5 s) for the last 26 hours, for range and re-bucketing checks.
    await insertDirect(series.pressure, floorTo(now - 26 * HOUR, 10_000), now - MINUTE, 5_000);
    await hub.telemetry.rollups.markDirty(new Date(now - 27 * HOUR), new Date(now), [series.pressure]);
  });
  afterAll(async () => {
    await agent?.endAsync();
    await hub?.close();
  });

  const liveFrom = floorTo(now - 20 * MINUTE, 10_000);
  const live: Reading[] = Array.from({ length: 114 }, (_, i) => ({ ts: liveFrom + i * 10_000 + (i % 3) * 7, value: Math.round((21 + 4 * Math.sin(i / 5)) * 1000) / 1000 }));

  it('rolls live readings up into exact 1-minute and 1-hour buckets, numbers and booleans only', async () => {
    await publish(
      live.flatMap((r, i) => [
        { metric: 'temperature', ts: r.ts, value: r.value },
        { metric: 'running', ts: r.ts, value: i % 3 === 0 },
        { metric: 'mode', ts: r.ts, value: i % 2 ? 'auto' : 'manual' },
      ]),
      false,
    );
    // Each stored batch was queued for the rollup job before its message was acknowledged.
    expect((await hub.db.query<{ n: number }>('SELECT count(*)::int AS n FROM telemetry_rollup_dirty')).rows[0].n).toBeGreaterThan(0);
    const run = await hub.telemetry.rollups.runOnce();
    expect(run.ran).toBe(true);

    const from = floorTo(liveFrom, HOUR);
    const to = floorTo(live.at(-1)!.ts, HOUR) + HOUR;
    expectBuckets(await rollupRows('telemetry_1m', series.temperature, from, to), aggregate(live, MINUTE));
    expectBuckets(await rollupRows('telemetry_1h', series.temperature, from, to), aggregate(live, HOUR));
    const running = live.map((r, i) => ({ ts: r.ts, value: i % 3 === 0 ? 1 : 0 }));
    expectBuckets(await rollupRows('telemetry_1m', series.running, from, to), aggregate(running, MINUTE));
    expect(await rollupRows('telemetry_1m', series.mode, 0, to)).toEqual([]);
  });

  it('recomputes an old hour exactly when a store-and-forward replay adds readings to it', async () => {
    const hour = floorTo(now, HOUR) - 30 * HOUR;
    const first: Reading[] = Array.from({ length: 90 }, (_, i) => ({ ts: hour + i * 20_000, value: 10 + (i % 11) }));
    await publish(first.map((r) => ({ metric: 'temperature', ...r })), true);
    await hub.telemetry.rollups.runOnce();
    expectBuckets(await rollupRows('telemetry_1h', series.temperature, hour, hour + HOUR), aggregate(first, HOUR));

    // The rest of the hour arrives later, interleaved, with a new minimum, maximum and last reading.
    const replay: Reading[] = [
      ...Array.from({ length: 90 }, (_, i) => ({ ts: hour + i * 20_000 + 10_000, value: 5 + (i % 13) })),
      { ts: hour + 40 * MINUTE, value: -3.5 },
      { ts: hour + 59 * MINUTE + 59_999, value: 99.25 },
    ];
    await publish(replay.map((r) => ({ metric: 'temperature', ...r })), true);
    const run = await hub.telemetry.rollups.runOnce();
    expect(run).toMatchObject({ ran: true });
    const all = [...first, ...replay];
    expectBuckets(await rollupRows('telemetry_1m', series.temperature, hour, hour + HOUR), aggregate(all, MINUTE));
    expectBuckets(await rollupRows('telemetry_1h', series.temperature, hour, hour + HOUR), aggregate(all, HOUR));
    // The replay touched only that hour.
    expect(await rollupRows('telemetry_1h', series.temperature, hour + HOUR, hour + 2 * HOUR)).toEqual([]);
  });

  it('chooses the bucket and the source from the range', async () => {
    await hub.telemetry.rollups.runOnce();
    const to = new Date(now).toISOString();
    const cases: [number, string, string][] = [
      [30 * MINUTE, 'raw', 'raw'],
      [2 * HOUR, '1m', 'raw'],
      [DAY, '5m', '1m'],
      [7 * DAY, '1h', '1h'],
      [60 * DAY, '6h', '1h'],
      [400 * DAY, '1d', '1h'],
    ];
    for (const [range, bucket, source] of cases) {
      const res = await get(historyUrl({ metric: 'pressure', from: new Date(now - range).toISOString(), to }));
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json();
      expect({ range, bucket: body.bucket, source: body.source }).toEqual({ range, bucket, source });
      expect(body.points.length).toBeLessThanOrEqual(501);
    }
    const day = (await get(historyUrl({ metric: 'pressure', from: new Date(now - DAY).toISOString(), to }))).json();
    expect(day.points.length).toBeGreaterThanOrEqual(288);
    expect(day).toMatchObject({ metric: 'pressure', type: 'number', unit: 'Pa' });
  });

  it('re-buckets from the rollups exactly as aggregating raw readings would', async () => {
    await hub.telemetry.rollups.runOnce();
    for (const [bucket, interval, range, source] of [
      ['15m', '15 minutes', DAY, '1m'],
      ['1h', '1 hour', 26 * HOUR, '1h'],
    ] as const) {
      const from = now - range;
      const res = await get(historyUrl({ metric: 'pressure', from: new Date(from).toISOString(), to: new Date(now).toISOString(), bucket }));
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json();
      expect(body).toMatchObject({ bucket, source });
      const step = bucket === '15m' ? 15 * MINUTE : HOUR;
      const { rows } = await hub.db.query<StoredBucket>(
        `SELECT date_bin($4::interval, ts, timestamptz '2000-01-01 00:00:00+00') AS bucket, min(value) AS min, max(value) AS max, avg(value) AS avg,
                (array_agg(value ORDER BY ts DESC))[1] AS last, count(*)::int AS count
           FROM telemetry WHERE series_id = $1 AND ts >= $2 AND ts < $3 GROUP BY 1 ORDER BY 1`,
        [series.pressure, new Date(floorTo(from, step)), new Date(floorTo(now, step) + step), interval],
      );
      const expected = rows.map((r) => ({ ...r, bucket: r.bucket.getTime() }));
      expect(expected.length).toBeGreaterThan(20);
      expectBuckets(body.points.map((p: { ts: string }) => ({ ...p, bucket: Date.parse(p.ts) })), expected);
    }
    // Day buckets start at midnight on the site's clock (Asia/Shanghai, UTC+8).
    const days = (await get(historyUrl({ metric: 'pressure', from: new Date(now - 3 * DAY).toISOString(), bucket: '1d' }))).json();
    expect(days.points.length).toBeGreaterThan(0);
    for (const p of days.points) expect(p.ts).toMatch(/T16:00:00\.000Z$/);
  });

  it('reads the newest minutes from raw readings until the rollup job has caught up', async () => {
    await hub.telemetry.rollups.runOnce();
    // Readings the job has not seen (not queued): stamped ahead of every rollup watermark.
    const tailFrom = floorTo(Date.now(), MINUTE) + 2 * MINUTE;
    await ensurePartitions(tailFrom, tailFrom + 3 * MINUTE);
    await hub.db.query(
      `INSERT INTO telemetry (series_id, ts, value) SELECT $1, t, 7 FROM generate_series($2::timestamptz, $3::timestamptz, interval '20 seconds') AS t`,
      [series.pressure, new Date(tailFrom), new Date(tailFrom + 3 * MINUTE - 1)],
    );
    expect(await rollupRows('telemetry_1m', series.pressure, tailFrom, tailFrom + 3 * MINUTE)).toEqual([]);
    const res = await get(historyUrl({ metric: 'pressure', from: new Date(now - 3 * HOUR).toISOString(), to: new Date(tailFrom + 10 * MINUTE).toISOString(), bucket: '1m' }));
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.source).toBe('1m');
    const tail = body.points.filter((p: { ts: string }) => Date.parse(p.ts) >= tailFrom);
    expect(tail).toEqual([0, 1, 2].map((i) => ({ ts: new Date(tailFrom + i * MINUTE).toISOString(), avg: 7, min: 7, max: 7, last: 7, count: 3 })));
    // And the rolled-up part before it is there too.
    expect(body.points.filter((p: { ts: string }) => Date.parse(p.ts) < now - 2 * HOUR).length).toBeGreaterThan(50);
  });

  it('answers booleans as 0/1 and string metrics as raw text', async () => {
    const range = { from: new Date(liveFrom).toISOString(), to: new Date(live.at(-1)!.ts + 1).toISOString() };
    const running = (await get(historyUrl({ metric: 'running', ...range, bucket: 'raw' }))).json();
    expect(running.points.slice(0, 3).map((p: { avg: number }) => p.avg)).toEqual([1, 0, 0]);
    const mode = await get(historyUrl({ metric: 'mode', ...range }));
    expect(mode.statusCode).toBe(200);
    expect(mode.json()).toMatchObject({ type: 'string', bucket: 'raw', source: 'raw' });
    expect(mode.json().points[0]).toEqual({ ts: new Date(live[0].ts).toISOString(), avg: null, min: null, max: null, last: null, count: 1, text: 'manual' });
    const bucketed = await get(historyUrl({ metric: 'mode', ...range, bucket: '5m' }));
    expect(bucketed.statusCode).toBe(400);
    expect(bucketed.json().error.message).toMatch(/querystring\.bucket: .*text.*bucket=raw/);
  });

  it('exports history as CSV', async () => {
    const range = { from: new Date(liveFrom).toISOString(), to: new Date(live.at(-1)!.ts + 1).toISOString() };
    const raw = await get(historyUrl({ metric: 'temperature', ...range, bucket: 'raw' }, true));
    expect(raw.statusCode, raw.body).toBe(200);
    expect(raw.headers['content-type']).toMatch(/^text\/csv/);
    expect(raw.headers['content-disposition']).toMatch(new RegExp(`^attachment; filename="device-${deviceId}-temperature-raw-\\d{8}T\\d{6}Z-\\d{8}T\\d{6}Z\\.csv"$`));
    const lines = raw.body.trimEnd().split('\r\n');
    expect(lines[0]).toBe('ts,value');
    expect(lines.slice(1)).toEqual(live.map((r) => `${new Date(r.ts).toISOString()},${r.value}`));

    const buckets = await get(historyUrl({ metric: 'temperature', ...range, bucket: '5m' }, true));
    const rows = buckets.body.trimEnd().split('\r\n');
    expect(rows[0]).toBe('ts,avg,min,max,last,count');
    const counts = rows.slice(1).map((l) => Number(l.split(',')[5]));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(live.length);

    const text = await get(historyUrl({ metric: 'mode', ...range }, true));
    expect(text.body.split('\r\n').slice(0, 3)).toEqual(['ts,text', `${new Date(live[0].ts).toISOString()},manual`, `${new Date(live[1].ts).toISOString()},auto`]);
  });

  it('documents the history routes in the OpenAPI description', async () => {
    const res = await hub.http.inject({ url: '/api/docs/json' });
    expect(res.statusCode).toBe(200);
    const paths = res.json().paths;
    expect(paths['/api/devices/{id}/history'].get.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['id', 'metric', 'from', 'to', 'bucket']));
    expect(paths['/api/devices/{id}/history.csv']).toBeDefined();
  });

  it('refuses invalid requests with the field at fault, and hides devices the user may not see', async () => {
    const expectError = async (url: string, status: number, message: RegExp, token = admin) => {
      const res = await get(url, token);
      expect(res.statusCode, res.body).toBe(status);
      expect(res.json().error.message).toMatch(message);
    };
    const to = new Date(now).toISOString();
    await expectError(historyUrl({ metric: 'pressure', from: 'yesterday' }), 400, /querystring\.from/);
    await expectError(historyUrl({ metric: 'pressure', to: '2026-13-01T00:00:00Z' }), 400, /querystring\.to/);
    await expectError(historyUrl({ metric: 'pressure', from: to, to }), 400, /querystring\.from: must be before querystring\.to/);
    await expectError(historyUrl({ metric: 'pressure', from: new Date(now - 401 * DAY).toISOString(), to }), 400, /querystring\.from: .*400 days/);
    await expectError(historyUrl({ metric: 'pressure', bucket: '2m' }), 400, /querystring\.bucket/);
    await expectError(`/api/devices/${deviceId}/history`, 400, /querystring\.metric/);
    await expectError(historyUrl({ metric: 'pressure', from: new Date(now - 30 * DAY).toISOString(), to, bucket: '1m' }), 400, /querystring\.bucket: bucket 1m .* more than 10000 points/);
    await expectError(historyUrl({ metric: 'pressure', from: new Date(now - DAY).toISOString(), to, bucket: 'raw' }), 400, /more than 10000 raw points/);
    await expectError(`/api/devices/999999/history?metric=pressure`, 404, /no device 999999/);
    await expectError(historyUrl({ metric: 'humidity' }), 404, /no metric "humidity"/);

    const guardUser = (await hub.db.query<{ id: number }>(`SELECT id FROM users WHERE username = 'guard'`)).rows[0];
    await hub.db.query(`INSERT INTO user_buildings (user_id, building_id) VALUES ($1, 'bldg-x')`, [guardUser.id]);
    const guard = await hub.login('guard', demoPassword(hub, 'guard'));
    await expectError(historyUrl({ metric: 'pressure' }), 404, /no device/, guard);
    await expectError(historyUrl({ metric: 'pressure' }, true), 404, /no device/, guard);
    const owner = await hub.login('owner', demoPassword(hub, 'owner'));
    await expectError(historyUrl({ metric: 'pressure' }), 403, /roles/, owner);
  });

  it('drops expired day partitions, stray old rows and expired rollups, and creates partitions ahead', async () => {
    // Defaults: raw telemetry 90 days, rollups 1825 days.
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    const partition = (ms: number) => `telemetry_${day(ms).replaceAll('-', '')}`;
    const exists = async (name: string) => (await hub.db.query<{ r: string | null }>('SELECT to_regclass($1)::text AS r', [name])).rows[0].r !== null;
    const old = floorTo(now - 100 * DAY, DAY) + 12 * HOUR;
    const recent = floorTo(now - 10 * DAY, DAY) + 12 * HOUR;
    await insertDirect(series.temperature, old, old + MINUTE, 10_000);
    await insertDirect(series.temperature, recent, recent + MINUTE, 10_000);
    // No partition for these days: the readings land in telemetry_default.
    await hub.db.query(`INSERT INTO telemetry (series_id, ts, value) VALUES ($1, $2, 1), ($1, $3, 2)`, [series.temperature, new Date(now - 95 * DAY), new Date(now - 50 * DAY)]);
    for (const table of ['telemetry_1m', 'telemetry_1h']) {
      await hub.db.query(`INSERT INTO ${table} (series_id, bucket, min, max, avg, last, count) VALUES ($1, $2, 1, 1, 1, 1, 1), ($1, $3, 2, 2, 2, 2, 1)`, [
        series.temperature,
        new Date(floorTo(now - 1900 * DAY, HOUR)),
        new Date(floorTo(now - 1800 * DAY, HOUR)),
      ]);
    }
    expect(await exists(partition(old))).toBe(true);

    const run = await hub.telemetry.retention.runOnce();
    expect(run.ran).toBe(true);
    expect(run.droppedPartitions).toContain(partition(old));
    expect(await exists(partition(old))).toBe(false);
    expect(await exists(partition(recent))).toBe(true);
    for (let i = 0; i <= 3; i++) expect(await exists(partition(now + i * DAY))).toBe(true);
    const defaults = await hub.db.query<{ value: number }>('SELECT value FROM telemetry_default WHERE series_id = $1 ORDER BY ts', [series.temperature]);
    expect(defaults.rows).toEqual([{ value: 2 }]);
    for (const table of ['telemetry_1m', 'telemetry_1h']) {
      const { rows } = await hub.db.query<{ avg: number }>(`SELECT avg FROM ${table} WHERE series_id = $1 AND bucket < $2 ORDER BY bucket`, [series.temperature, new Date(now - 1000 * DAY)]);
      expect(rows).toEqual([{ avg: 2 }]);
    }
    const recentCount = await hub.db.query<{ n: number }>('SELECT count(*)::int AS n FROM telemetry WHERE series_id = $1 AND ts >= $2 AND ts < $3', [
      series.temperature,
      new Date(recent),
      new Date(recent + MINUTE + 1),
    ]);
    expect(recentCount.rows[0].n).toBe(7);
  });

  // PGlite has a single session, so another hub holding the lock can only be shown on the server.
  it(kind === 'postgres' ? 'lets one hub at a time run the rollup job, and two concurrent runners agree' : 'lets two concurrent rollup runners agree', async () => {
    await hub.db.query('DELETE FROM telemetry_1m WHERE series_id = $1', [series.pressure]);
    await hub.db.query('DELETE FROM telemetry_1h WHERE series_id = $1', [series.pressure]);
    await hub.telemetry.rollups.markDirty(new Date(now - 27 * HOUR), new Date(now), [series.pressure]);
    if (kind === 'postgres') await showsLockedOut();

    const other = new RollupMaintainer(hub.db, pino({ level: 'silent' }), { intervalMs: 60_000, claimLimit: 5, hoursPerTransaction: 3 });
    const runs = await Promise.all([hub.telemetry.rollups.runOnce(), other.runOnce(), other.runOnce()]);
    expect(runs.some((r) => r.ran)).toBe(true);
    expect((await hub.db.query<{ n: number }>('SELECT count(*)::int AS n FROM telemetry_rollup_dirty')).rows[0].n).toBe(0);
    const { rows } = await hub.db.query<{ raw: number; hourly: number; minutes: number }>(
      `SELECT (SELECT count(*)::int FROM telemetry WHERE series_id = $1 AND ts >= $2 AND ts < $3) AS raw,
              (SELECT sum(count)::int FROM telemetry_1h WHERE series_id = $1 AND bucket >= $2 AND bucket < $3) AS hourly,
              (SELECT sum(count)::int FROM telemetry_1m WHERE series_id = $1 AND bucket >= $2 AND bucket < $3) AS minutes`,
      [series.pressure, new Date(floorTo(now - 26 * HOUR, HOUR)), new Date(floorTo(now, HOUR))],
    );
    expect(rows[0].raw).toBeGreaterThan(8_000);
    expect(rows[0]).toEqual({ raw: rows[0].raw, hourly: rows[0].raw, minutes: rows[0].raw });
  });

  /** Another hub is running the job: this one does nothing and leaves the queue alone. */
  async function showsLockedOut(): Promise<void> {
    const lockHolder = new pg.Client({ connectionString: hub.database.url });
    await lockHolder.connect();
    try {
      await lockHolder.query('SELECT pg_advisory_lock($1)', [ROLLUP_LOCK_KEY]);
      expect(await hub.telemetry.rollups.runOnce()).toEqual({ ran: false, ranges: 0, hours: 0 });
      expect((await hub.db.query<{ n: number }>('SELECT count(*)::int AS n FROM telemetry_rollup_dirty')).rows[0].n).toBeGreaterThan(0);
      await lockHolder.query('SELECT pg_advisory_unlock($1)', [ROLLUP_LOCK_KEY]);
    } finally {
      await lockHolder.end();
    }
  }
});
