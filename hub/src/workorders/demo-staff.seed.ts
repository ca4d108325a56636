import type { Database } from '../db/database.js';

/** Key of the advisory lock that makes two hubs seeding together create each person once ("WSTF"). */
const SEED_LOCK = 0x57535446;
const HOUR_MS = 3_600_000;

interface DemoPerson {
  /** The demo login the person uses, if any (see AuthService demo users). */
  username?: string;
  name: string;
  position: string;
  trades: string[];
}

const demoStaff: DemoPerson[] = [
  { username: 'technician', name: 'Liu Yang', position: 'Maintenance technician', trades: ['plumbing', 'electrical', 'lift', 'hvac', 'fire', 'general'] },
  { username: 'guard', name: 'Zhao Lei', position: 'Security guard', trades: ['security'] },
  { name: 'Wang Fang', position: 'Plumber', trades: ['plumbing', 'general'] },
  { name: 'Chen Jun', position: 'Electrician', trades: ['electrical', 'lift'] },
  { name: 'Sun Li', position: 'Security guard', trades: ['security'] },
];

/**
 * Demo staff for dispatch: the demo technician and guard logins get a staff record
 * with their trades, a few colleagues without logins fill the staff list, and each
 * has a shift covering now ± 12 h. Idempotent: running it again adds nothing while
 * a shift still covers `now`. Staff without a login are listed but never dispatched
 * to (nobody could receive the work order).
 */
export async function seedDemoStaff(db: Database, now: Date = new Date()): Promise<{ staffIds: number[] }> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [SEED_LOCK]);
    const staffIds: number[] = [];
    for (const person of demoStaff) {
      let userId: number | null = null;
      if (person.username) {
        const user = await tx.query<{ id: number }>('SELECT id FROM users WHERE lower(username) = lower($1)', [person.username]);
        if (!user.rows[0]) continue;
        userId = user.rows[0].id;
      }
      const existing = userId === null
        ? await tx.query<{ id: number }>('SELECT id FROM staff WHERE name = $1 AND user_id IS NULL ORDER BY id LIMIT 1', [person.name])
        : await tx.query<{ id: number }>('SELECT id FROM staff WHERE user_id = $1', [userId]);
      const staffId = existing.rows[0]?.id ??
        (await tx.query<{ id: number }>('INSERT INTO staff (user_id, name, position, trades) VALUES ($1, $2, $3, $4) RETURNING id', [userId, person.name, person.position, person.trades])).rows[0].id;
      await tx.query(
        `INSERT INTO staff_shifts (staff_id, starts_at, ends_at)
         SELECT $1, $2, $3 WHERE NOT EXISTS (SELECT 1 FROM staff_shifts WHERE staff_id = $1 AND starts_at <= $4 AND ends_at > $4)`,
        [staffId, new Date(now.getTime() - 12 * HOUR_MS), new Date(now.getTime() + 12 * HOUR_MS), now],
      );
      staffIds.push(staffId);
    }
    return { staffIds };
  });
}
