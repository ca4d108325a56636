import os from 'node:os';
import { z } from 'zod';

/**
 * Every setting comes from an environment variable, validated once at start-up.
 * The README's configuration table documents each one (keep the two in step).
 */

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'expected true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const port = z.coerce.number({ error: 'expected a port number' }).int('expected a whole number').min(0).max(65_535, 'expected a port number from 0 to 65535');

const postgresUrl = z
  .string()
  .regex(/^postgres(ql)?:\/\/.+/, 'expected a postgres:// or postgresql:// URL');

const mqttUrl = z.string().regex(/^(mqtts?|tcp|ssl|wss?):\/\/[^/]+/, 'expected an mqtt://host:port (or mqtts://, ws://, wss://) URL');

/** A 32-byte key written as 64 hex digits or base64 (43–44 characters); undefined if it is neither. */
export function decodeKey32(text: string): Buffer | undefined {
  const value = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, 'hex');
  if (!/^[A-Za-z0-9+/_-]{43}=?$/.test(value)) return undefined;
  const key = Buffer.from(value, 'base64');
  return key.length === 32 ? key : undefined;
}

export const configSchema = z.object({
  HTTP_HOST: z.string().min(1).default('0.0.0.0'),
  HTTP_PORT: port.default(8080),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Identifies this hub process among several replicas (logs, locks, MQTT client id). */
  HUB_ID: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'expected letters, digits, "_", "." or "-"').default(`${os.hostname().slice(0, 40)}-${process.pid}`),

  /** Absent: embedded PGlite in DATA_DIR. */
  DATABASE_URL: postgresUrl.optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  DATA_DIR: z.string().min(1).default('./data'),
  /** Days of raw telemetry kept; rollups are kept longer (see TELEMETRY_ROLLUP_RETENTION_DAYS). */
  TELEMETRY_RETENTION_DAYS: z.coerce.number().int().min(1).max(36_500).default(90),
  TELEMETRY_ROLLUP_RETENTION_DAYS: z.coerce.number().int().min(1).max(36_500).default(1825),

  /** Absent: the embedded aedes broker listens on MQTT_HOST:MQTT_PORT. */
  MQTT_URL: mqttUrl.optional(),
  /** The hub's own login at an external broker. */
  MQTT_USERNAME: z.string().optional(),
  MQTT_PASSWORD: z.string().optional(),
  MQTT_HOST: z.string().min(1).default('0.0.0.0'),
  MQTT_PORT: port.default(1883),
  /** Embedded broker: if MQTT_PORT is taken, listen on a free port and print it instead of failing. */
  MQTT_PORT_FALLBACK: bool.default(false),
  /** Use `$share/{group}/...` subscriptions so several hubs split the inbound load (MQTT 5 brokers). */
  MQTT_SHARED_GROUP: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/).default('warden'),
  MQTT_SHARED_SUBSCRIPTIONS: z.enum(['auto', 'true', 'false']).default('auto'),
  /** External broker with shared subscriptions: connections per hub that share the inbound load (see BrokerLinkPool). */
  MQTT_INGEST_CONNECTIONS: z.coerce.number().int().min(1).max(16).default(4),

  /** Login sessions last this long. */
  SESSION_TTL_HOURS: z.coerce.number().min(0.1).max(24 * 30).default(12),
  /** First start only: the admin's password (otherwise a random one is printed once). */
  ADMIN_INITIAL_PASSWORD: z.string().min(12, 'expected at least 12 characters').optional(),
  /** First start only: also create one demo user per role and print their passwords. */
  DEMO_USERS: bool.default(false),
  /** Seed the starter alarm rules into an estate that has no rules yet. */
  ALARM_DEFAULT_RULES: bool.default(true),
  /** How long a door command waits for the controller's acknowledgement; also its expiry at the agent. */
  DOOR_COMMAND_TIMEOUT_MS: z.coerce.number().int().min(200).max(60_000).default(8_000),
  /** How long a security alarm waits for a camera snapshot (evidence is due within 2 s of the alarm). */
  EVIDENCE_SNAPSHOT_TIMEOUT_MS: z.coerce.number().int().min(200).max(30_000).default(1_500),
  /** Seconds of video recorded for a security alarm where the camera can (camera.clip); 0: snapshots only. */
  EVIDENCE_CLIP_SECONDS: z.coerce.number().int().min(0).max(30).default(5),
  /** A snapshot that misses EVIDENCE_SNAPSHOT_TIMEOUT_MS is awaited this much longer and stored marked late; 0: dropped. */
  EVIDENCE_LATE_SNAPSHOT_MS: z.coerce.number().int().min(0).max(120_000).default(20_000),
  /** An alarm joining an incident that has a snapshot from the same camera this many seconds around it links that one; 0: always a new one. */
  EVIDENCE_REUSE_SNAPSHOT_SEC: z.coerce.number().int().min(0).max(3_600).default(10),
  /**
   * When zones without their own arming schedule are armed (motion then alarms), every day in
   * the site's local time (UTC+8 unless ZONE_DEFAULT_ARMING_UTC_OFFSET_MIN says otherwise):
   * HH:MM-HH:MM (from > to runs past midnight), or "none" (such zones are never armed).
   */
  ZONE_DEFAULT_ARMING: z
    .string()
    .regex(/^(none|([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d)$/, 'expected HH:MM-HH:MM (e.g. 22:00-06:00) or none')
    .default('22:00-06:00'),
  ZONE_DEFAULT_ARMING_UTC_OFFSET_MIN: z.coerce.number().int().min(-720).max(840).default(480),
  /** Related security signals (same zone, or a camera and what it watches) this close in time form one incident. */
  INCIDENT_WINDOW_MIN: z.coerce.number().int().min(0).max(1_440).default(10),
  /** A shift handover not accepted within this many minutes is flagged to managers (fractions allowed). */
  HANDOVER_ACCEPT_MIN: z.coerce.number().min(0.05).max(1_440).default(30),
  /** The live stream sends a heartbeat frame to a socket idle this long, so dashboards notice a silently dead connection. */
  LIVE_HEARTBEAT_MS: z.coerce.number().int().min(100).max(300_000).default(15_000),
  /** An estate file (sites, buildings, floors, one agent per building) upserted at start-up. */
  ESTATE_FILE: z.string().min(1).optional(),
  /** Where the built dashboard is served from. */
  DASHBOARD_DIR: z.string().optional(),
  /**
   * Key of the owners' personal data (AES-256-GCM, blind index): 32 bytes, hex or base64.
   * Absent: one is generated in DATA_DIR on first start (see hub/src/records/records-key.ts).
   */
  RECORDS_ENCRYPTION_KEY: z
    .string()
    .refine((v) => decodeKey32(v) !== undefined, 'expected 32 bytes as 64 hex digits or as base64, e.g. from `openssl rand -base64 32`')
    .optional(),

  /** Billing notices by e-mail: smtp://user:pass@host:port (smtps:// for TLS). Absent: e-mails are logged as failed, "not configured". */
  SMTP_URL: z.string().regex(/^smtps?:\/\/[^/]+/, 'expected an smtp://user:pass@host:port (or smtps://) URL').optional(),
  /** The From of billing e-mails. */
  MAIL_FROM: z.string().min(3).default('Warden <billing@warden.local>'),
  /** Who sends billing SMS: "log" (the demo: logs a masked line), "none", or a provider registered in hub/src/billing/sms.ts. */
  SMS_PROVIDER: z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, 'expected a provider name such as log or none').default('log'),
  /** Comma-separated e-mail addresses that get arrears warnings (besides managers with an e-mail in their staff record). */
  BILLING_MANAGER_EMAILS: z
    .string()
    .transform((v) => v.split(',').map((a) => a.trim()).filter(Boolean))
    .refine((list) => list.every((a) => /^[^\s@]+@[^\s@]+$/.test(a)), 'expected e-mail addresses separated by commas')
    .default([]),
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Reads the configuration from an environment; throws ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings count as unset, as in docker-compose files with `VAR=`.
  const input = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = configSchema.safeParse(input);
  if (result.success) {
    const config = result.data;
    if (config.MQTT_URL === undefined && (config.MQTT_USERNAME || config.MQTT_PASSWORD)) {
      throw new ConfigError(['MQTT_USERNAME/MQTT_PASSWORD: only used with MQTT_URL (an external broker); the embedded broker issues its own credentials']);
    }
    return config;
  }
  const problems = result.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? '(root)');
    const got = input[name];
    return `${name}: ${issue.message}${got === undefined ? '' : ` (got ${JSON.stringify(redact(name, got))})`}`;
  });
  throw new ConfigError(problems);
}

/** Never echo a secret back: passwords are hidden, URLs lose their user-info. */
function redact(name: string, value: string): string {
  if (/PASSWORD|SECRET|KEY/.test(name)) return '***';
  if (name.endsWith('_URL')) return value.replace(/\/\/[^@/]*@/, '//***@');
  return value;
}
