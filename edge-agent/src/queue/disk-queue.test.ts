import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DiskQueue, QueueError, type DiskQueueOptions } from './disk-queue.js';
import { HEADER_BYTES } from './record-format.js';

interface Item {
  n: number;
  text: string;
}

const dirs: string[] = [];
const open: DiskQueue<Item>[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'warden-queue-'));
  dirs.push(dir);
  return dir;
}

async function openQueue(dir: string, options: Partial<DiskQueueOptions> = {}): Promise<DiskQueue<Item>> {
  const q = await DiskQueue.open<Item>({ dir, maxBytes: 1024 * 1024, ...options });
  open.push(q);
  return q;
}

function appendMany(q: DiskQueue<Item>, count: number, text = 'x'): number[] {
  const seqs: number[] = [];
  for (let i = 0; i < count; i++) seqs.push(q.append((seq) => ({ n: seq, text })).seq);
  return seqs;
}

function drain(q: DiskQueue<Item>, ack = false): number[] {
  const seqs: number[] = [];
  for (let e = q.next(); e; e = q.next()) {
    expect(e.value.n).toBe(e.seq);
    seqs.push(e.seq);
    if (ack) q.ack(e.seq);
  }
  return seqs;
}

const segmentFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.seg')).sort();

afterEach(async () => {
  for (const q of open.splice(0)) await q.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('DiskQueue', () => {
  it('numbers records from 0 and hands them out in order, once each', async () => {
    const q = await openQueue(tempDir());
    expect(appendMany(q, 5)).toEqual([0, 1, 2, 3, 4]);
    expect(drain(q)).toEqual([0, 1, 2, 3, 4]);
    expect(q.next()).toBeUndefined();
    appendMany(q, 1);
    expect(drain(q)).toEqual([5]);
    expect(q.stats()).toMatchObject({ nextSeq: 6, pending: 6, outstanding: 6, ackedThrough: -1 });
  });

  it('hands unacknowledged records out again after a rewind, skipping those acknowledged out of order', async () => {
    const q = await openQueue(tempDir());
    appendMany(q, 6);
    drain(q);
    q.ack(0);
    q.ack(2);
    q.ack(3);
    expect(q.stats()).toMatchObject({ ackedThrough: 0, pending: 3 });
    q.rewind();
    expect(drain(q)).toEqual([1, 4, 5]);
    q.ack(1);
    expect(q.stats().ackedThrough).toBe(3);
    expect(q.firstUnackedSeq).toBe(4);
  });

  it('keeps seq and unacknowledged records across a close and reopen', async () => {
    const dir = tempDir();
    const q = await openQueue(dir);
    appendMany(q, 10);
    for (const seq of drain(q).slice(0, 4)) q.ack(seq);
    await q.close();

    const again = await openQueue(dir);
    expect(again.nextSeq).toBe(10);
    expect(drain(again)).toEqual([4, 5, 6, 7, 8, 9]);
    expect(again.append((seq) => ({ n: seq, text: 'after' })).seq).toBe(10);
  });

  it('continues the seq after every record was acknowledged and the segments deleted', async () => {
    const dir = tempDir();
    const q = await openQueue(dir, { maxBytes: 64 * 1024, segmentBytes: 4096 });
    appendMany(q, 200, 'y'.repeat(50));
    drain(q, true);
    await q.close();
    expect(segmentFiles(dir).length).toBe(1);

    const again = await openQueue(dir, { maxBytes: 64 * 1024, segmentBytes: 4096 });
    expect(again.stats()).toMatchObject({ nextSeq: 200, pending: 0 });
    expect(again.next()).toBeUndefined();
    expect(again.append((seq) => ({ n: seq, text: '' })).seq).toBe(200);
  });

  it('cuts a torn last record off on open and carries on appending after it', async () => {
    const dir = tempDir();
    const q = await openQueue(dir);
    appendMany(q, 5, 'torn-test');
    await q.close();
    const [file] = segmentFiles(dir);
    truncateSync(join(dir, file), statSync(join(dir, file)).size - 7);

    const again = await openQueue(dir);
    expect(again.stats()).toMatchObject({ nextSeq: 4, lost: 1 });
    expect(drain(again)).toEqual([0, 1, 2, 3]);
    appendMany(again, 2);
    expect(drain(again)).toEqual([4, 5]);
    await again.close();

    const third = await openQueue(dir);
    expect(drain(third)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('cuts a half-written header off the end without crashing', async () => {
    const dir = tempDir();
    const q = await openQueue(dir);
    appendMany(q, 3);
    await q.close();
    const [file] = segmentFiles(dir);
    appendFileSync(join(dir, file), Buffer.from([0x57, 0x51, 0x52, 0x31, 0, 0, 0]));

    const again = await openQueue(dir);
    expect(drain(again)).toEqual([0, 1, 2]);
    expect(again.nextSeq).toBe(3);
  });

  it('skips a corrupted record in the middle and delivers the ones after it', async () => {
    const dir = tempDir();
    const q = await openQueue(dir);
    appendMany(q, 5, 'abcdefgh');
    await q.close();
    const [file] = segmentFiles(dir);
    const bytes = readFileSync(join(dir, file));
    const recordSize = bytes.length / 5;
    bytes[2 * recordSize + HEADER_BYTES + 3] ^= 0xff; // a payload byte of seq 2
    writeFileSync(join(dir, file), bytes);

    const again = await openQueue(dir);
    expect(drain(again, true)).toEqual([0, 1, 3, 4]);
    expect(again.stats()).toMatchObject({ lost: 1, pending: 0, ackedThrough: 4 });
  });

  it('drops the oldest segments when full and counts the dropped records', async () => {
    const dir = tempDir();
    const maxBytes = 16 * 1024;
    const q = await openQueue(dir, { maxBytes, segmentBytes: 2048 });
    const appended = appendMany(q, 300, 'z'.repeat(60));
    const stats = q.stats();
    expect(stats.bytes).toBeLessThanOrEqual(maxBytes);
    expect(stats.dropped).toBeGreaterThan(0);
    const kept = drain(q);
    // Exactly the newest records survive, none twice, in order.
    expect(stats.dropped + kept.length).toBe(appended.length);
    expect(kept).toEqual(appended.slice(stats.dropped));
    const onDisk = segmentFiles(dir).reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
    expect(onDisk).toBeLessThanOrEqual(maxBytes);

    await q.close();
    const again = await openQueue(dir, { maxBytes, segmentBytes: 2048 });
    expect(again.stats().dropped).toBe(stats.dropped);
    expect(drain(again)).toEqual(kept);
  });

  it('does not count acknowledged records as dropped', async () => {
    const q = await openQueue(tempDir(), { maxBytes: 8192, segmentBytes: 2048 });
    for (let i = 0; i < 200; i++) {
      q.append((seq) => ({ n: seq, text: 'w'.repeat(40) }));
      drain(q, true);
    }
    expect(q.stats()).toMatchObject({ dropped: 0, pending: 0 });
  });

  it('drops records that are in flight, and uncounts those whose acknowledgement still comes', async () => {
    const q = await openQueue(tempDir(), { maxBytes: 8192, segmentBytes: 2048 });
    appendMany(q, 10, 'v'.repeat(60));
    const inFlight = drain(q);
    appendMany(q, 200, 'v'.repeat(60));
    const droppedBefore = q.stats().dropped;
    for (const seq of inFlight.slice(0, 4)) q.ack(seq); // delivered after all
    expect(q.stats().dropped).toBe(droppedBefore - 4);
    q.rewind(); // the other six were lost with the connection
    for (const seq of inFlight.slice(4)) q.ack(seq);
    const rest = drain(q);
    expect(rest[0]).toBeGreaterThan(9);
    expect(q.stats().dropped + 4 + rest.length).toBe(210);
  });

  it('deletes segment files once their records are acknowledged', async () => {
    const dir = tempDir();
    const q = await openQueue(dir, { maxBytes: 1024 * 1024, segmentBytes: 4096 });
    appendMany(q, 300, 'u'.repeat(40));
    expect(segmentFiles(dir).length).toBeGreaterThan(3);
    drain(q, true);
    q.flush();
    expect(segmentFiles(dir).length).toBe(1);
    expect(q.stats().bytes).toBe(statSync(join(dir, segmentFiles(dir)[0])).size);
  });

  it('uses no seq when building the record fails, and refuses records larger than the queue', async () => {
    const q = await openQueue(tempDir(), { maxBytes: 4096 });
    expect(() =>
      q.append(() => {
        throw new Error('invalid message');
      }),
    ).toThrow('invalid message');
    expect(q.nextSeq).toBe(0);
    expect(() => q.append((seq) => ({ n: seq, text: 'q'.repeat(5000) }))).toThrow(QueueError);
    expect(q.append((seq) => ({ n: seq, text: 'fits' })).seq).toBe(0);
  });

  it('refuses a second user of the same folder, and takes over the lock of a process that is gone', async () => {
    const dir = tempDir();
    const q = await openQueue(dir);
    await expect(DiskQueue.open({ dir, maxBytes: 1024 * 1024 })).rejects.toThrow(/in use by process \d+ \(this one\)/);
    await q.close();
    writeFileSync(join(dir, 'lock'), '999999999');
    const again = await openQueue(dir);
    expect(again.nextSeq).toBe(0);
  });

  it('replays records written by an earlier process in order after many segments', async () => {
    const dir = tempDir();
    const q = await openQueue(dir, { segmentBytes: 4096 });
    appendMany(q, 1000, 'payload');
    const first = drain(q).slice(0, 250);
    first.forEach((seq) => q.ack(seq));
    await q.close();
    const again = await openQueue(dir, { segmentBytes: 4096 });
    const replay = drain(again);
    expect(replay).toEqual(Array.from({ length: 750 }, (_, i) => 250 + i));
  });
});
