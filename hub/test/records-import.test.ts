import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { residentIdCheckChar, upsertBuilding, upsertFloor, upsertSite } from '../src/records/index.js';
import { databaseKinds } from './support/databases.js';
import { demoPassword, startTestHub, type TestHub } from './support/hub.js';

interface Report {
  kind: string;
  dryRun: boolean;
  rows: number;
  accepted: number;
  imported: number;
  rejected: { row: number; field: string; message: string }[];
}

function residentId(n: number): string {
  const first17 = `44030519851122${String(n).padStart(3, '0')}`;
  return first17 + residentIdCheckChar(first17);
}

/** A CSV file as a spreadsheet exports it: CRLF, fields quoted where they must be. */
function csv(rows: (string | number)[][]): string {
  const cell = (v: string | number) => (/[",\r\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));
  return `${rows.map((r) => r.map(cell).join(',')).join('\r\n')}\r\n`;
}

/**
 * CSV imports of units, owners and staff over HTTP against the real database:
 * per-row, per-column rejections, all or nothing, dry runs, duplicates.
 */
describe.each(databaseKinds)('records CSV import on %s', (kind) => {
  let hub: TestHub;
  let clerk: string;
  let guard: string;

  const upload = (what: string, body: string | Buffer, opts: { dryRun?: boolean; token?: string; contentType?: string } = {}) =>
    hub.http.inject({
      method: 'POST',
      url: `/api/records/import/${what}${opts.dryRun ? '?dryRun=true' : ''}`,
      payload: body,
      headers: { authorization: `Bearer ${opts.token ?? clerk}`, 'content-type': opts.contentType ?? 'text/csv; charset=utf-8' },
    });

  /** The report of a 200, or of a 422's error details. */
  const reportOf = (res: { statusCode: number; json(): unknown }): Report =>
    res.statusCode === 422 ? (res.json() as { error: { details: Report } }).error.details : (res.json() as Report);

  const count = async (sql: string, params: unknown[] = []) => (await hub.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`, params)).rows[0].n;

  beforeAll(async () => {
    hub = await startTestHub(kind);
    clerk = await hub.login('clerk', demoPassword(hub, 'clerk'));
    guard = await hub.login('guard', demoPassword(hub, 'guard'));
    await upsertSite(hub.db, { id: 'site-csv', name: 'CSV estate' });
    for (const b of ['csv-a', 'csv-b']) {
      await upsertBuilding(hub.db, { id: b, siteId: 'site-csv', name: b });
      for (const [i, code] of ['1', '2', '3'].entries()) await upsertFloor(hub.db, { buildingId: b, code, level: i + 1 });
    }
  });

  afterAll(async () => {
    await hub?.close();
  });

  it('rejects a units file with bad rows, naming row and column, and imports nothing; the fixed file imports all; duplicates are refused', async () => {
    const header = ['Building', 'Number', 'Floor', 'Area M2', 'Layout', 'Location', 'Status'];
    const bad = csv([
      header,
      ['csv-a', '101', '1', '89.5', '3室2厅', 'East, by lift 2', 'occupied'], // row 2: fine
      ['csv-a', '', '1', 'big', '', '', 'sold'], // row 3: no number, area not a number, unknown status
      ['csv-x', '102', '1', '60', '', '', ''], // row 4: no such building
      ['csv-a', '103', '9', '70', '', '', ''], // row 5: no such floor
      ['csv-a', '101', '2', '75', '', '', ''], // row 6: same unit as row 2
      ['csv-b', '101', '1', '95', '', '', 'vacant'], // row 7: fine (another building)
    ]);
    const before = await count('units');
    const res = await upload('units', bad);
    expect(res.statusCode, res.body).toBe(422);
    expect((res.json() as { error: { code: string } }).error.code).toBe('WARDEN_ERR_IMPORT_REJECTED');
    const report = reportOf(res);
    expect(report).toMatchObject({ kind: 'units', dryRun: false, rows: 6, accepted: 2, imported: 0 });
    expect(report.rejected.map(({ row, field }) => [row, field])).toEqual([
      [3, 'number'],
      [3, 'area_m2'],
      [3, 'status'],
      [4, 'building'],
      [5, 'floor'],
      [6, 'number'],
    ]);
    expect(report.rejected.find((r) => r.row === 6)!.message).toBe('the same unit as row 2');
    expect(report.rejected.find((r) => r.row === 3 && r.field === 'number')!.message).toBe('is required');
    expect(await count('units')).toBe(before);
    expect(await count(`audit_log WHERE action = 'records.import_rejected'`)).toBe(1);

    const fixed = csv([
      header,
      ['csv-a', '101', '1', '89.5', '3室2厅', 'East, by lift 2', 'occupied'],
      ['csv-a', '104', '1', '110', '', '', 'vacant'],
      ['csv-b', '102', '1', '60', '', '', ''],
      ['csv-a', '103', '3', '70', '', '', ''],
      ['csv-a', '201', '2', '75', '', '', 'rented'],
      ['csv-b', '101', '1', '95', '', '', 'vacant'],
    ]);
    const dry = await upload('units', fixed, { dryRun: true });
    expect(dry.statusCode, dry.body).toBe(200);
    expect(reportOf(dry)).toEqual({ kind: 'units', dryRun: true, rows: 6, accepted: 6, imported: 0, rejected: [] });
    expect(await count('units')).toBe(before);

    const done = await upload('units', fixed);
    expect(done.statusCode, done.body).toBe(200);
    expect(reportOf(done)).toEqual({ kind: 'units', dryRun: false, rows: 6, accepted: 6, imported: 6, rejected: [] });
    expect(await count('units')).toBe(before + 6);
    const a101 = (await hub.db.query<{ location: string; area: number; layout: string; status: string; floor: string }>(
      `SELECT u.location, u.area_m2::float8 AS area, u.layout, u.status, f.code AS floor FROM units u JOIN floors f ON f.id = u.floor_id WHERE u.building_id = 'csv-a' AND u.number = '101'`,
    )).rows[0];
    expect(a101).toEqual({ location: 'East, by lift 2', area: 89.5, layout: '3室2厅', status: 'occupied', floor: '1' });
    expect(await count(`unit_status_history h JOIN units u ON u.id = h.unit_id WHERE u.building_id IN ('csv-a', 'csv-b') AND h.reason = 'imported'`)).toBe(6);
    const audit = (await hub.db.query<{ details: unknown }>(`SELECT details FROM audit_log WHERE action = 'records.imported' ORDER BY id DESC LIMIT 1`)).rows[0];
    expect(audit.details).toEqual({ kind: 'units', rows: 6, imported: 6 });

    // The same file again: every row is a duplicate now, and nothing changes.
    const again = await upload('units', fixed);
    expect(again.statusCode).toBe(422);
    const dupes = reportOf(again);
    expect(dupes).toMatchObject({ rows: 6, accepted: 0, imported: 0 });
    expect(dupes.rejected.every((r) => r.field === 'number' && /already has a unit/.test(r.message))).toBe(true);
    expect(await count('units')).toBe(before + 6);
  });

  it('imports owners all or nothing, with ID numbers checked, deduplicated through the blind index and stored encrypted', async () => {
    const header = ['name', 'national_id', 'id_type', 'phone', 'email', 'building', 'unit', 'role', 'from_date'];
    const ids = [residentId(1), residentId(2), residentId(3), residentId(4)];
    const badCheckDigit = ids[3].slice(0, 17) + (ids[3].endsWith('0') ? '1' : '0');
    const bad = csv([
      header,
      ['Zhao Min', ids[0], '', '13800000001', 'zhao@example.com', 'csv-a', '101', 'owner', '2020-05-01'], // row 2: fine
      ['', ids[1], '', '', '', '', '', '', ''], // row 3: no name
      ['Qian Li', badCheckDigit, '', '', 'not-mail', '', '', '', ''], // row 4: check digit, e-mail
      ['Sun Hao', ids[0].toLowerCase(), '', '', '', '', '', '', ''], // row 5: same ID as row 2
      ['Zhou Yi', ids[2], '', '', '', 'csv-a', '999', '', ''], // row 6: no such unit
      ['Wu Fan', 'E12345678', 'passport', '', '', 'csv-a', '', '', ''], // row 7: building without unit
    ]);
    const before = await count('owners');
    const res = await upload('owners', bad);
    expect(res.statusCode, res.body).toBe(422);
    const report = reportOf(res);
    expect(report).toMatchObject({ rows: 6, accepted: 1, imported: 0 });
    expect(report.rejected.map(({ row, field }) => [row, field])).toEqual([
      [3, 'name'],
      [4, 'national_id'],
      [4, 'email'],
      [5, 'national_id'],
      [6, 'unit'],
      [7, 'unit'],
    ]);
    // The report never repeats an ID number: it is shown on screens and passed around.
    expect(res.body).not.toContain(ids[0]);
    expect(res.body).not.toContain(badCheckDigit);
    expect(report.rejected.find((r) => r.row === 5)!.message).toBe('the same ID number as row 2');
    expect(await count('owners')).toBe(before);
    expect(await count('unit_owners')).toBe(0);

    const fixed = csv([
      header,
      ['Zhao Min', ids[0], '', '13800000001', 'zhao@example.com', 'csv-a', '101', 'owner', '2020-05-01'],
      ['Qian Li', ids[3], 'resident_id', '', '', 'csv-a', '201', 'tenant', ''],
      ['Wu Fan', 'E12345678', 'passport', '+86 138 0000 0002', '', '', '', '', ''],
    ]);
    expect(reportOf(await upload('owners', fixed, { dryRun: true }))).toMatchObject({ accepted: 3, imported: 0, rejected: [] });
    expect(await count('owners')).toBe(before);
    const done = await upload('owners', fixed);
    expect(done.statusCode, done.body).toBe(200);
    expect(reportOf(done)).toMatchObject({ rows: 3, accepted: 3, imported: 3, rejected: [] });
    expect(await count('owners')).toBe(before + 3);
    const held = (await hub.db.query<{ name: string; number: string; role: string; from_date: string }>(
      `SELECT o.name, u.number, a.role, a.from_date::text FROM unit_owners a JOIN owners o ON o.id = a.owner_id JOIN units u ON u.id = a.unit_id ORDER BY o.name`,
    )).rows;
    expect(held.map((h) => [h.name, h.number, h.role])).toEqual([
      ['Qian Li', '201', 'tenant'],
      ['Zhao Min', '101', 'owner'],
    ]);
    expect(held[1].from_date).toBe('2020-05-01');

    // Written differently (spaces, lower-case x), the same number is still a duplicate.
    const twin = csv([['name', 'national_id'], ['Zhao Twin', `${ids[0].slice(0, 6)} ${ids[0].slice(6).toLowerCase()}`]]);
    const dup = reportOf(await upload('owners', twin));
    expect(dup.rejected).toEqual([{ row: 2, field: 'national_id', message: expect.stringMatching(/^an owner with this ID number is already recorded/) }]);

    const stored = (await hub.db.query<{ row: string }>('SELECT row_to_json(o)::text AS row FROM owners o')).rows.map((r) => r.row).join('\n');
    for (const id of [ids[0], ids[3], 'E12345678', '13800000001']) expect(stored).not.toContain(id);
    const audit = (await hub.db.query<{ row: string }>('SELECT row_to_json(a)::text AS row FROM audit_log a')).rows.map((r) => r.row).join('\n');
    for (const id of [ids[0], ids[3], 'E12345678']) expect(audit).not.toContain(id);
  });

  it('imports staff with trades and buildings, refusing duplicate e-mail addresses and unknown references', async () => {
    const header = ['name', 'email', 'position', 'phone', 'trades', 'buildings', 'active', 'username'];
    const bad = csv([
      header,
      ['He Jun', 'he.jun@example.com', 'Plumber', '13900000011', 'plumbing; general', 'csv-a', 'yes', ''], // row 2: fine
      ['Ma Li', 'HE.JUN@example.com', 'Electrician', '', 'electrical', 'csv-a;csv-q', 'no', 'nobody'], // row 3: e-mail twice, building, login
      ['Gao Yu', 'gao.yu@example.com', '', '', 'Plumbing', '', '', ''], // row 4: trades are lower-case codes
      ['Lin Tao', 'lin.tao@example.com', '', '', '', '', 'maybe', ''], // row 5: active is yes or no
      ['Xu Bo', 'xu.bo@example.com', '', '', '', '', '', 'owner'], // row 6: an owner-portal login
    ]);
    const before = await count('staff');
    const res = await upload('staff', bad);
    expect(res.statusCode, res.body).toBe(422);
    const report = reportOf(res);
    expect(report.rejected.map(({ row, field }) => [row, field])).toEqual([
      [3, 'email'],
      [3, 'buildings'],
      [3, 'username'],
      [4, 'trades'],
      [5, 'active'],
      [6, 'username'],
    ]);
    expect(report).toMatchObject({ rows: 5, accepted: 1, imported: 0 });
    expect(report.rejected[0].message).toBe('the same e-mail address as row 2');
    expect(await count('staff')).toBe(before);

    const fixed = csv([
      header,
      ['He Jun', 'he.jun@example.com', 'Plumber', '13900000011', 'plumbing; general', 'csv-a', 'yes', ''],
      ['Ma Li', 'ma.li@example.com', 'Electrician', '', 'electrical', 'csv-a;csv-b', 'no', 'technician'],
    ]);
    const done = await upload('staff', fixed);
    expect(done.statusCode, done.body).toBe(200);
    expect(reportOf(done)).toMatchObject({ imported: 2 });
    const list = await hub.http.inject({ method: 'GET', url: '/api/records/staff?q=example.com', headers: { authorization: `Bearer ${clerk}` } });
    const staff = (list.json() as { staff: { name: string; trades: string[]; buildings: string[]; active: boolean; user: { username: string } | null }[] }).staff;
    expect(staff.map((s) => [s.name, s.trades, s.buildings, s.active, s.user?.username ?? null])).toEqual([
      ['He Jun', ['plumbing', 'general'], ['csv-a'], true, null],
      ['Ma Li', ['electrical'], ['csv-a', 'csv-b'], false, 'technician'],
    ]);
    const again = reportOf(await upload('staff', csv([['name', 'email'], ['He Jun again', 'He.Jun@Example.com']])));
    expect(again.rejected).toEqual([{ row: 2, field: 'email', message: expect.stringMatching(/has this e-mail address/) }]);
  });

  it('reports a broken header or file on row 1, reads GBK from Excel, and takes only text/csv from the office', async () => {
    const unknown = reportOf(await upload('units', csv([['building', 'number', 'colour'], ['csv-a', '900', 'red']]), { dryRun: true }));
    expect(unknown.rejected).toEqual([{ row: 1, field: 'colour', message: expect.stringMatching(/^unknown column/) }]);
    const missing = reportOf(await upload('owners', csv([['name'], ['Nobody']]), { dryRun: true }));
    expect(missing.rejected).toEqual([{ row: 1, field: 'national_id', message: 'required column missing from the header' }]);
    const unclosed = reportOf(await upload('units', 'building,number\r\ncsv-a,"905\r\n', { dryRun: true }));
    expect(unclosed.rejected).toEqual([{ row: 2, field: 'file', message: 'a quoted field is not closed' }]);

    // "楼栋" is not a column, but it must arrive as 楼栋 (GBK bytes C2A5 B6B0), not as mojibake.
    const gbk = Buffer.concat([Buffer.from('building,number,'), Buffer.from([0xc2, 0xa5, 0xb6, 0xb0]), Buffer.from('\r\ncsv-a,906,x\r\n')]);
    const fromExcel = reportOf(await upload('units', gbk, { dryRun: true }));
    expect(fromExcel.rejected).toEqual([{ row: 1, field: '楼栋', message: expect.stringMatching(/^unknown column/) }]);

    const json = await hub.http.inject({ method: 'POST', url: '/api/records/import/units', payload: { csv: 'building,number' }, headers: { authorization: `Bearer ${clerk}` } });
    expect(json.statusCode).toBe(400);
    expect((await upload('units', 'building,number\r\ncsv-a,907\r\n', { token: guard })).statusCode).toBe(403);
    expect((await upload('rooms', 'building,number\r\n')).statusCode).toBe(400);
    // Elsewhere a CSV body is still not welcome.
    const elsewhere = await hub.http.inject({ method: 'POST', url: '/api/units', payload: 'building,number', headers: { authorization: `Bearer ${clerk}`, 'content-type': 'text/csv' } });
    expect(elsewhere.statusCode).toBe(415);
    expect(await count(`units WHERE number IN ('900', '905', '906', '907')`)).toBe(0);
  });
});
