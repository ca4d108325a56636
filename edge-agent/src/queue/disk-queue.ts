import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  renameSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { z } from 'zod';
import { HEADER_BYTES, RECORD_MAGIC, checksum, encodeRecord, parseHeader } from './record-format.js';

/**
 * A durable, bounded, ordered store-and-forward queue.
 *
 * Records are appended to segment files (`<firstSeq>.seg`) in `dir`; every
 * record gets the next sequence number, which survives restarts. A consumer
 * takes records in order with `next()`, and `ack(seq)`s them once delivered;
 * `rewind()` hands the unacknowledged ones out again (after a lost connection).
 * A small cursor file (`cursor.json`, written to a temp file and renamed, so
 * it is always whole) remembers how far acknowledgements have come; segments
 * wholly behind it are deleted.
 *
 * Durability: appends go to the OS at once (a crash of the process loses
 * nothing) and are fsync'ed every `fsyncIntervalMs` (a power cut loses at most
 * that window). A record torn by a power cut is detected by its length and
 * CRC and skipped on the next open. The acknowledgement cursor is saved every
 * `cursorSaveMs`: after a crash, records acknowledged since the last save are
 * delivered again (at-least-once; receivers de-duplicate by message id).
 *
 * Bound: at most `maxBytes` on disk. When an append would pass it, the oldest
 * segment is deleted, undelivered records in it included (drop-oldest: on a
 * long outage the newest data is the most useful), and they are counted in
 * `dropped`.
 */

export interface DiskQueueOptions {
  dir: string;
  /** Upper bound of the segment files' total size. */
  maxBytes: number;
  /** Segment size; also the granularity of drops. Default maxBytes/16, within 4 KiB..16 MiB. */
  segmentBytes?: number;
  /** fsync period of the open segment; 0 syncs every append. Default 200 ms. */
  fsyncIntervalMs?: number;
  /** Debounce of cursor saves. Default 200 ms. */
  cursorSaveMs?: number;
  logger?: Logger;
}

export interface QueueEntry<T> {
  seq: number;
  value: T;
  /** Size on disk, header included. */
  bytes: number;
}

export interface QueueStats {
  /** Sequence number the next append gets. */
  nextSeq: number;
  /** Every seq up to this one is acknowledged (or dropped); -1 before the first. */
  ackedThrough: number;
  /** Records appended and not yet acknowledged. */
  pending: number;
  /** Records handed out by next() and not yet acknowledged. */
  outstanding: number;
  /** Records deleted unsent to stay under maxBytes, since the queue was created. */
  dropped: number;
  /** Records found damaged (torn or corrupt) and skipped, since the queue was created. */
  lost: number;
  bytes: number;
  segments: number;
}

export class QueueError extends Error {
  override name = 'QueueError';
}

const CURSOR_FILE = 'cursor.json';
/** Holds the pid of the process using the queue: two writers would interleave records. */
const LOCK_FILE = 'lock';
const SEGMENT_SUFFIX = '.seg';

const cursorSchema = z.object({
  format: z.literal(1),
  ackedThrough: z.number().int().min(-1),
  dropped: z.number().int().min(0),
  lost: z.number().int().min(0),
});
type Cursor = z.infer<typeof cursorSchema>;

interface Segment {
  firstSeq: number;
  /** Seq of the last record; firstSeq - 1 while empty. */
  lastSeq: number;
  path: string;
  bytes: number;
}

interface Position {
  segment: Segment;
  offset: number;
}

type ReadResult = { kind: 'record'; seq: number; payload: Buffer; size: number } | { kind: 'end' } | { kind: 'damaged' };

const segmentName = (firstSeq: number) => `${String(firstSeq).padStart(16, '0')}${SEGMENT_SUFFIX}`;

export class DiskQueue<T> {
  readonly #dir: string;
  readonly #maxBytes: number;
  readonly #segmentBytes: number;
  readonly #fsyncIntervalMs: number;
  readonly #cursorSaveMs: number;
  readonly #log: Logger;

  #cursor: Cursor;
  #segments: Segment[] = [];
  #nextSeq = 0;
  #totalBytes = 0;
  /** Acknowledged seqs above ackedThrough (acks may come out of order). */
  readonly #ackedAhead = new Set<number>();
  /** Records handed out and not acknowledged: where to rewind to. */
  readonly #outstanding = new Map<number, Position>();
  /**
   * Records dropped while in flight: counted as dropped, but their PUBACK may
   * still come, and then they were delivered after all.
   */
  readonly #droppedInFlight = new Set<number>();

  #appendFd: number | undefined;
  #reader: Position | undefined;
  #readFd: { fd: number; segment: Segment } | undefined;
  /** Seq the reader expects next; a jump past it means damaged records were skipped. */
  #expect = 0;

  #unsynced = false;
  #syncTimer: NodeJS.Timeout | undefined;
  #cursorTimer: NodeJS.Timeout | undefined;
  #closed = false;

  private constructor(options: DiskQueueOptions) {
    if (!(options.maxBytes >= 4096)) throw new QueueError(`queue maxBytes must be at least 4096, got ${options.maxBytes}`);
    this.#dir = options.dir;
    this.#maxBytes = options.maxBytes;
    this.#segmentBytes = Math.min(options.segmentBytes ?? Math.min(16 * 1024 * 1024, Math.max(4096, Math.floor(options.maxBytes / 16))), options.maxBytes);
    this.#fsyncIntervalMs = options.fsyncIntervalMs ?? 200;
    this.#cursorSaveMs = options.cursorSaveMs ?? 200;
    this.#log = options.logger ?? pino({ level: 'silent' });
    this.#cursor = { format: 1, ackedThrough: -1, dropped: 0, lost: 0 };
  }

  /** Opens (creating if needed) the queue in `options.dir`, recovering from a crash if there was one. */
  static async open<T>(options: DiskQueueOptions): Promise<DiskQueue<T>> {
    const queue = new DiskQueue<T>(options);
    mkdirSync(options.dir, { recursive: true });
    queue.#lock();
    try {
      queue.#recover();
    } catch (err) {
      queue.#unlock();
      throw err;
    }
    return queue;
  }

  get nextSeq(): number {
    return this.#nextSeq;
  }

  /** The seq a consumer will get first after a rewind: the oldest unacknowledged record. */
  get firstUnackedSeq(): number {
    return this.#cursor.ackedThrough + 1;
  }

  stats(): QueueStats {
    return {
      nextSeq: this.#nextSeq,
      ackedThrough: this.#cursor.ackedThrough,
      pending: Math.max(0, this.#nextSeq - 1 - this.#cursor.ackedThrough - this.#ackedAhead.size),
      outstanding: this.#outstanding.size,
      dropped: this.#cursor.dropped,
      lost: this.#cursor.lost,
      bytes: this.#totalBytes,
      segments: this.#segments.length,
    };
  }

  /**
   * Appends a record built for the next seq. `make` may throw (e.g. a schema
   * rejects the value): then nothing is written and the seq is not used.
   */
  append(make: (seq: number) => T): QueueEntry<T> {
    this.#assertOpen();
    const seq = this.#nextSeq;
    const value = make(seq);
    const record = encodeRecord(seq, Buffer.from(JSON.stringify(value), 'utf8'));
    if (record.length > this.#maxBytes) throw new QueueError(`a record of ${record.length} bytes cannot fit a queue of ${this.#maxBytes} bytes`);

    let active = this.#active;
    if (active.bytes > 0 && active.bytes + record.length > this.#segmentBytes) active = this.#rotate(seq);
    while (this.#totalBytes + record.length > this.#maxBytes) {
      if (this.#segments.length === 1) active = this.#rotate(seq);
      this.#dropOldest();
    }

    writeAll(this.#appendFd!, record, active.bytes);
    active.bytes += record.length;
    active.lastSeq = seq;
    this.#totalBytes += record.length;
    this.#nextSeq = seq + 1;
    if (this.#fsyncIntervalMs === 0) fsyncSync(this.#appendFd!);
    else this.#scheduleSync();
    return { seq, value, bytes: record.length };
  }

  /** The next record not yet handed out (in seq order), or undefined when all are. */
  next(): QueueEntry<T> | undefined {
    this.#assertOpen();
    for (;;) {
      const at = this.#reader;
      if (!at) return undefined;
      if (at.offset >= at.segment.bytes) {
        const i = this.#segments.indexOf(at.segment);
        if (i === this.#segments.length - 1) return undefined;
        this.#reader = { segment: this.#segments[i + 1], offset: 0 };
        continue;
      }
      const read = this.#readAt(at.segment, at.offset);
      if (read.kind !== 'record') {
        const resume = read.kind === 'damaged' ? this.#findNextRecord(at.segment, at.offset + 1) : undefined;
        this.#log.warn({ segment: at.segment.path, offset: at.offset, resumeAt: resume }, 'queue: damaged record skipped');
        this.#reader = { segment: at.segment, offset: resume ?? at.segment.bytes };
        continue;
      }
      this.#reader = { segment: at.segment, offset: at.offset + read.size };
      const { seq } = read;
      if (seq > this.#expect) this.#markLost(this.#expect, seq - 1);
      if (seq >= this.#expect) this.#expect = seq + 1;
      if (seq <= this.#cursor.ackedThrough || this.#ackedAhead.has(seq) || this.#outstanding.has(seq)) continue;
      let value: T;
      try {
        value = JSON.parse(read.payload.toString('utf8')) as T;
      } catch {
        // The CRC matched, so this is not disk damage but a writer bug; skip rather than wedge the queue.
        this.#log.error({ seq }, 'queue: record with a valid checksum is not JSON; skipped');
        this.#markLost(seq, seq);
        continue;
      }
      this.#outstanding.set(seq, at);
      return { seq, value, bytes: read.size };
    }
  }

  /** Marks a record delivered. Unknown or repeated seqs are ignored. */
  ack(seq: number): void {
    if (this.#closed) return;
    this.#outstanding.delete(seq);
    const c = this.#cursor;
    if (this.#droppedInFlight.delete(seq)) {
      c.dropped -= 1;
      this.#scheduleCursorSave();
    }
    if (seq <= c.ackedThrough || seq >= this.#nextSeq) return;
    if (seq === c.ackedThrough + 1) {
      c.ackedThrough = seq;
      while (this.#ackedAhead.delete(c.ackedThrough + 1)) c.ackedThrough += 1;
    } else {
      this.#ackedAhead.add(seq);
    }
    this.#scheduleCursorSave();
  }

  /** Hands every unacknowledged record out again, oldest first (call after a connection is lost). */
  rewind(): void {
    this.#assertOpen();
    let oldest: number | undefined;
    for (const seq of this.#outstanding.keys()) if (oldest === undefined || seq < oldest) oldest = seq;
    // What was dropped in flight will not be acknowledged any more: it stays counted as dropped.
    this.#droppedInFlight.clear();
    if (oldest === undefined) return;
    const at = this.#outstanding.get(oldest)!;
    this.#outstanding.clear();
    if (this.#segments.includes(at.segment)) {
      this.#reader = at;
      this.#expect = oldest;
    }
  }

  /** Syncs the open segment and saves the cursor now. */
  flush(): void {
    this.#assertOpen();
    this.#syncNow();
    this.#saveCursor();
  }

  /** Flushes and releases files and timers. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.flush();
    this.#closed = true;
    clearTimeout(this.#syncTimer);
    clearTimeout(this.#cursorTimer);
    if (this.#appendFd !== undefined) closeSync(this.#appendFd);
    if (this.#readFd) closeSync(this.#readFd.fd);
    this.#appendFd = undefined;
    this.#readFd = undefined;
    this.#unlock();
  }

  /** Takes the queue folder for this process; a lock left by a process that no longer runs is taken over. */
  #lock(): void {
    const path = join(this.#dir, LOCK_FILE);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        writeFileSync(path, String(process.pid), { flag: 'wx' });
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = Number.parseInt(readFileSync(path, 'utf8'), 10);
      if (Number.isInteger(holder) && holder > 0 && processRuns(holder)) {
        throw new QueueError(`queue ${this.#dir} is in use by process ${holder}${holder === process.pid ? ' (this one)' : ''}`);
      }
      this.#log.warn({ dir: this.#dir, stalePid: holder }, 'queue: taking over the lock of a process that is gone');
      unlinkSync(path);
    }
    throw new QueueError(`queue ${this.#dir}: could not take the lock`);
  }

  #unlock(): void {
    try {
      unlinkSync(join(this.#dir, LOCK_FILE));
    } catch {
      // Already gone: nothing to release.
    }
  }

  // ------------------------------------------------------------------ recovery

  #recover(): void {
    this.#loadCursor();
    for (const name of readdirSync(this.#dir)) {
      if (name.endsWith('.tmp')) unlinkSync(join(this.#dir, name));
    }
    this.#segments = readdirSync(this.#dir)
      .filter((name) => /^\d{16}\.seg$/.test(name))
      .map((name) => Number.parseInt(name, 10))
      .sort((a, b) => a - b)
      .map((firstSeq) => {
        const path = join(this.#dir, segmentName(firstSeq));
        const fd = openSync(path, 'r');
        const bytes = fstatSync(fd).size;
        closeSync(fd);
        return { firstSeq, lastSeq: firstSeq - 1, path, bytes };
      });
    for (let i = 0; i < this.#segments.length - 1; i++) this.#segments[i].lastSeq = this.#segments[i + 1].firstSeq - 1;

    const last = this.#segments.at(-1);
    if (last) this.#scanTail(last);
    this.#nextSeq = Math.max(this.#cursor.ackedThrough + 1, last ? Math.max(last.lastSeq + 1, last.firstSeq) : 0);
    if (!last) this.#segments.push(this.#createSegment(this.#nextSeq));
    this.#totalBytes = this.#segments.reduce((sum, s) => sum + s.bytes, 0);
    this.#appendFd = openSync(this.#active.path, 'r+');

    // Segments wholly acknowledged before the stop can go now.
    this.#collectGarbage();
    this.#expect = this.#cursor.ackedThrough + 1;
    this.#reader = { segment: this.#segments[0], offset: 0 };
    const first = this.#segments[0];
    if (first.firstSeq > this.#expect && first.firstSeq <= this.#nextSeq) {
      // Segments between the cursor and the first file were deleted before the cursor was saved.
      this.#markLost(this.#expect, first.firstSeq - 1);
      this.#expect = first.firstSeq;
    }
    this.#log.info({ dir: this.#dir, nextSeq: this.#nextSeq, pending: this.stats().pending, bytes: this.#totalBytes }, 'queue: opened');
  }

  #loadCursor(): void {
    const path = join(this.#dir, CURSOR_FILE);
    if (!existsSync(path)) return;
    try {
      this.#cursor = cursorSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
    } catch (err) {
      // Written by rename, so it is whole unless someone edited it; replaying from the start is the safe reading.
      this.#log.error({ err: (err as Error).message, path }, 'queue: unreadable cursor; replaying every stored record');
    }
  }

  /**
   * Walks the last segment (the only one a crash can leave half-written):
   * finds its last record and cuts a torn tail off, so appends continue on a
   * clean boundary.
   */
  #scanTail(segment: Segment): void {
    let offset = 0;
    for (;;) {
      const read = this.#readAt(segment, offset);
      if (read.kind === 'record') {
        segment.lastSeq = read.seq;
        offset += read.size;
        continue;
      }
      if (read.kind === 'end' && offset === segment.bytes) return;
      const resume = this.#findNextRecord(segment, offset + 1);
      if (resume === undefined) {
        this.#log.warn({ segment: segment.path, offset, cut: segment.bytes - offset }, 'queue: torn record at the end of the queue cut off');
        const fd = openSync(segment.path, 'r+');
        ftruncateSync(fd, offset);
        fsyncSync(fd);
        closeSync(fd);
        segment.bytes = offset;
        this.#cursor.lost += 1;
        return;
      }
      offset = resume;
    }
  }

  // ------------------------------------------------------------------ segments

  get #active(): Segment {
    return this.#segments[this.#segments.length - 1];
  }

  #createSegment(firstSeq: number): Segment {
    const path = join(this.#dir, segmentName(firstSeq));
    closeSync(openSync(path, 'w'));
    fsyncDir(this.#dir);
    return { firstSeq, lastSeq: firstSeq - 1, path, bytes: 0 };
  }

  #rotate(firstSeq: number): Segment {
    fsyncSync(this.#appendFd!);
    closeSync(this.#appendFd!);
    this.#unsynced = false;
    const segment = this.#createSegment(firstSeq);
    this.#segments.push(segment);
    this.#appendFd = openSync(segment.path, 'r+');
    return segment;
  }

  #dropOldest(): void {
    const victim = this.#segments.shift()!;
    const c = this.#cursor;
    let count = 0;
    for (let seq = Math.max(victim.firstSeq, c.ackedThrough + 1); seq <= victim.lastSeq; seq++) {
      if (!this.#ackedAhead.delete(seq)) count += 1;
    }
    if (victim.lastSeq > c.ackedThrough) c.ackedThrough = victim.lastSeq;
    while (this.#ackedAhead.delete(c.ackedThrough + 1)) c.ackedThrough += 1;
    c.dropped += count;
    for (const [seq, at] of this.#outstanding) {
      if (at.segment !== victim) continue;
      this.#outstanding.delete(seq);
      this.#droppedInFlight.add(seq);
    }
    if (this.#reader?.segment === victim) this.#reader = { segment: this.#segments[0], offset: 0 };
    this.#expect = Math.max(this.#expect, victim.lastSeq + 1);
    this.#releaseReadFd(victim);
    unlinkSync(victim.path);
    this.#totalBytes -= victim.bytes;
    if (count > 0) {
      this.#log.warn({ dropped: count, droppedTotal: c.dropped, seqs: [victim.firstSeq, victim.lastSeq], maxBytes: this.#maxBytes }, 'queue: full, oldest undelivered records dropped');
    }
    this.#scheduleCursorSave();
  }

  /** Deletes segments wholly at or below the saved cursor (never the open one). */
  #collectGarbage(): void {
    while (this.#segments.length > 1 && this.#segments[0].lastSeq <= this.#cursor.ackedThrough) {
      const victim = this.#segments.shift()!;
      if (this.#reader?.segment === victim) this.#reader = { segment: this.#segments[0], offset: 0 };
      this.#releaseReadFd(victim);
      unlinkSync(victim.path);
      this.#totalBytes -= victim.bytes;
    }
  }

  // ------------------------------------------------------------------ reading

  #fdFor(segment: Segment): number {
    if (this.#readFd?.segment !== segment) {
      if (this.#readFd) closeSync(this.#readFd.fd);
      this.#readFd = { fd: openSync(segment.path, 'r'), segment };
    }
    return this.#readFd.fd;
  }

  #releaseReadFd(segment: Segment): void {
    if (this.#readFd?.segment === segment) {
      closeSync(this.#readFd.fd);
      this.#readFd = undefined;
    }
  }

  #readAt(segment: Segment, offset: number): ReadResult {
    const available = segment.bytes - offset;
    if (available < HEADER_BYTES) return available === 0 ? { kind: 'end' } : { kind: 'damaged' };
    const fd = this.#fdFor(segment);
    const header = Buffer.allocUnsafe(HEADER_BYTES);
    readSync(fd, header, 0, HEADER_BYTES, offset);
    const parsed = parseHeader(header);
    if (!parsed || HEADER_BYTES + parsed.length > available) return { kind: 'damaged' };
    const payload = Buffer.allocUnsafe(parsed.length);
    if (parsed.length > 0) readSync(fd, payload, 0, parsed.length, offset + HEADER_BYTES);
    if (checksum(header.subarray(4, 16), payload) !== parsed.crc) return { kind: 'damaged' };
    return { kind: 'record', seq: parsed.seq, payload, size: HEADER_BYTES + parsed.length };
  }

  /** Offset of the first intact record at or after `from`, found by its magic and verified by its CRC. */
  #findNextRecord(segment: Segment, from: number): number | undefined {
    const fd = this.#fdFor(segment);
    const chunk = Buffer.allocUnsafe(64 * 1024);
    const magic = Buffer.alloc(4);
    magic.writeUInt32BE(RECORD_MAGIC);
    for (let base = from; base < segment.bytes; base += chunk.length - 3) {
      const n = readSync(fd, chunk, 0, Math.min(chunk.length, segment.bytes - base), base);
      let i = chunk.subarray(0, n).indexOf(magic);
      while (i !== -1) {
        if (this.#readAt(segment, base + i).kind === 'record') return base + i;
        i = chunk.subarray(0, n).indexOf(magic, i + 1);
      }
      if (n < chunk.length) break;
    }
    return undefined;
  }

  #markLost(from: number, to: number): void {
    let count = 0;
    for (let seq = Math.max(from, this.#cursor.ackedThrough + 1); seq <= to; seq++) {
      if (this.#ackedAhead.has(seq)) continue;
      count += 1;
      this.ack(seq);
    }
    if (count > 0) {
      this.#cursor.lost += count;
      this.#log.warn({ from, to, lost: count }, 'queue: records missing (damaged on disk); skipped');
    }
  }

  // ------------------------------------------------------------------ persistence

  #scheduleSync(): void {
    this.#unsynced = true;
    if (this.#syncTimer) return;
    this.#syncTimer = setTimeout(() => {
      this.#syncTimer = undefined;
      if (!this.#closed) this.#syncNow();
    }, this.#fsyncIntervalMs);
    this.#syncTimer.unref();
  }

  #syncNow(): void {
    if (this.#unsynced && this.#appendFd !== undefined) fsyncSync(this.#appendFd);
    this.#unsynced = false;
  }

  #scheduleCursorSave(): void {
    if (this.#cursorTimer) return;
    this.#cursorTimer = setTimeout(() => {
      this.#cursorTimer = undefined;
      if (!this.#closed) this.#saveCursor();
    }, this.#cursorSaveMs);
    this.#cursorTimer.unref();
  }

  #saveCursor(): void {
    const path = join(this.#dir, CURSOR_FILE);
    const tmp = `${path}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.#cursor));
    const fd = openSync(tmp, 'r');
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, path);
    fsyncDir(this.#dir);
    this.#collectGarbage();
  }

  #assertOpen(): void {
    if (this.#closed) throw new QueueError('the queue is closed');
  }
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it runs, under another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Makes a new or renamed directory entry durable (POSIX needs the directory itself synced). */
function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Not supported everywhere (e.g. Windows); the rename is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function writeAll(fd: number, buffer: Buffer, position: number): void {
  let written = 0;
  while (written < buffer.length) written += writeSync(fd, buffer, written, buffer.length - written, position + written);
}
