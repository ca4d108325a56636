import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { AlarmEngine, AlarmService, EvaluationOwnership, registerAlarmRoutes, seedDefaultRules } from './alarms/index.js';
import { EquipmentService, PartsService, registerAssetRoutes } from './assets/index.js';
import { AuthService, registerAuthRoutes } from './auth/index.js';
import { BillingModule, registerBillingRoutes } from './billing/index.js';
import { BrokerLinkPool, EmbeddedBroker, type EmbeddedLink } from './broker/index.js';
import { CommandService } from './commands/index.js';
import type { Config } from './config.js';
import { openDatabase, type Database } from './db/database.js';
import { migrate } from './db/migrator.js';
import { DeviceRegistry, DeviceStatusFeed, registerDeviceRoutes } from './devices/index.js';
import { EventBus } from './events/event-bus.js';
import { registerHealthRoutes } from './http/health.routes.js';
import { createHttpServer } from './http/server.js';
import { IngestService, registerIngestRoutes } from './ingest/index.js';
import { LiveHub, registerLiveRoutes } from './live/index.js';
import { PmService, registerPmRoutes } from './maintenance/index.js';
import { registerTelemetryRoutes, TelemetryModule } from './telemetry/index.js';
import { importEstateFile, RecordsModule, registerRecordsRoutes } from './records/index.js';
import { defaultArming, DoorCommandService, EvidenceService, IncidentService, registerSecurityRoutes, ZoneScheduleService } from './security/index.js';
import {
  AlarmRequestService,
  ImprovementPlanService,
  QualityService,
  registerQualityRoutes,
  registerServiceRequestRoutes,
  SatisfactionReportService,
  ServiceRequestService,
  SurveyService,
} from './service/index.js';
import { HandoverService, registerHandoverRoutes, registerShiftLogRoutes, ShiftLogService } from './shiftlog/index.js';
import { registerWorkOrderRoutes, WorkOrderService } from './workorders/index.js';

export const HUB_VERSION = '0.1.0';
const DEFAULT_DASHBOARD_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dashboard/dist');

/** A part of the hub with a lifecycle: the constructor takes dependencies, start() works, stop() releases. */
interface Lifecycle {
  start(): Promise<unknown>;
  stop(): Promise<void>;
}

export interface Hub {
  config: Config;
  logger: Logger;
  db: Database;
  bus: EventBus;
  auth: AuthService;
  broker?: EmbeddedBroker;
  link: BrokerLinkPool | EmbeddedLink;
  registry: DeviceRegistry;
  workOrders: WorkOrderService;
  ingest: IngestService;
  telemetry: TelemetryModule;
  alarms: AlarmService;
  alarmEngine: AlarmEngine;
  /** Commands to agents and their acknowledgements. */
  commands: CommandService;
  /** Security: zone arming schedules, incidents, alarm evidence, remote door control. */
  zoneSchedules: ZoneScheduleService;
  incidents: IncidentService;
  evidence: EvidenceService;
  doors: DoorCommandService;
  /** Units, owners (personal data encrypted), staff records and their CSV imports. */
  records: RecordsModule;
  /** Customer service requests, their work orders and satisfaction surveys. */
  serviceRequests: ServiceRequestService;
  /** Service requests opened by alarm episodes (unit-level devices, flagged rules). */
  alarmRequests: AlarmRequestService;
  /** Preventive maintenance plans and the scheduler that opens their work orders. */
  pm: PmService;
  /** Fees, meters, bill runs, the ledger, payments, receipts, notices and arrears. */
  billing: BillingModule;
  /** Structured shift handovers and the check that flags unaccepted ones to managers. */
  handovers: HandoverService;
  /** The /api/live WebSocket stream of the live event log. */
  live: LiveHub;
  http: FastifyInstance;
  /** http://host:port of the API and dashboard. */
  url: string;
  /** The broker agents connect to. */
  mqttUrl: string;
  stop(): Promise<void>;
}

/**
 * Assembles the hub. Every module is listed here, in start order, so the whole
 * system reads top to bottom in one place; stop() runs them in reverse.
 */
export async function startHub(config: Config, logger: Logger): Promise<Hub> {
  const started: Lifecycle[] = [];
  const run = async <T extends Lifecycle>(part: T): Promise<T> => {
    await part.start();
    started.push(part);
    return part;
  };
  const stopAll = async () => {
    for (const part of started.reverse()) {
      await part.stop().catch((err: Error) => logger.error({ err: err.message }, 'error while stopping'));
    }
    started.length = 0;
  };

  let db: Database | undefined;
  try {
    db = await openDatabase({ url: config.DATABASE_URL, dataDir: config.DATA_DIR, poolSize: config.DATABASE_POOL_SIZE, logger });
    const database = db;
    started.push({ start: async () => {}, stop: () => database.close() });
    const { applied, storage } = await migrate(db, logger);
    logger.info({ database: db.kind, storage, migrationsApplied: applied.length }, `telemetry storage path: ${storage === 'timescaledb' ? 'TimescaleDB hypertable' : 'PostgreSQL day partitions'}`);

    if (config.ESTATE_FILE) {
      const { estate, agents } = await importEstateFile(db, config.ESTATE_FILE);
      logger.info({ site: estate.site.id, buildings: estate.buildings.length, agents: agents.length }, `estate loaded from ${config.ESTATE_FILE}`);
    }

    const bus = new EventBus();
    const auth = await run(new AuthService(db, logger.child({ module: 'auth' }), {
      sessionTtlHours: config.SESSION_TTL_HOURS,
      adminInitialPassword: config.ADMIN_INITIAL_PASSWORD,
      demoUsers: config.DEMO_USERS,
    }));

    const broker = config.MQTT_URL
      ? undefined
      : await run(new EmbeddedBroker(db, logger.child({ module: 'broker' }), { host: config.MQTT_HOST, port: config.MQTT_PORT, portFallback: config.MQTT_PORT_FALLBACK, hubId: config.HUB_ID }));
    const link: BrokerLinkPool | EmbeddedLink = broker
      ? broker.link
      : await run(new BrokerLinkPool(logger.child({ module: 'broker-link' }), {
          url: config.MQTT_URL!,
          username: config.MQTT_USERNAME,
          password: config.MQTT_PASSWORD,
          hubId: config.HUB_ID,
          external: true,
          sharedSubscriptions: config.MQTT_SHARED_SUBSCRIPTIONS,
          sharedGroup: config.MQTT_SHARED_GROUP,
        }, config.MQTT_INGEST_CONNECTIONS));

    const registry = await run(new DeviceRegistry(db, bus, logger.child({ module: 'devices' })));
    await run(new DeviceStatusFeed(db, bus, logger.child({ module: 'device-status' })));
    const workOrders = await run(new WorkOrderService(db, bus, logger.child({ module: 'workorders' })));
    const telemetry = await run(new TelemetryModule(db, logger.child({ module: 'telemetry' }), {
      retentionDays: config.TELEMETRY_RETENTION_DAYS,
      rollupRetentionDays: config.TELEMETRY_ROLLUP_RETENTION_DAYS,
    }));
    const ingest = await run(new IngestService(db, link, registry, bus, logger.child({ module: 'ingest' }), {
      // With shared subscriptions each hub sees only part of an agent's sequence.
      detectSequenceGaps: !link.sharedSubscriptions,
      onPersisted: (part) => telemetry.rollups.recordBatch(part),
    }));

    const commands = await run(new CommandService(db, link, ingest, logger.child({ module: 'commands' })));

    if (config.ALARM_DEFAULT_RULES) {
      const seeded = await seedDefaultRules(db);
      if (seeded) logger.info({ rules: seeded }, 'starter alarm rules added');
    }
    const securityLogger = logger.child({ module: 'security' });
    const zoneSchedules = await run(new ZoneScheduleService(db, bus, securityLogger, { defaultSchedule: defaultArming(config.ZONE_DEFAULT_ARMING, config.ZONE_DEFAULT_ARMING_UTC_OFFSET_MIN) }));
    const incidents = await run(new IncidentService(db, bus, securityLogger, { windowMinutes: config.INCIDENT_WINDOW_MIN }));
    // Security episodes join incidents inside the raise transaction (see IncidentLinker).
    const alarms = new AlarmService(db, bus, logger.child({ module: 'alarms' }), workOrders, { incidents });
    // Hubs splitting one broker's stream split the evaluation by device, so each device's rules see its whole stream.
    const ownership = link.sharedSubscriptions
      ? new EvaluationOwnership(db, link, logger.child({ module: 'alarm-ownership' }), { hubId: config.HUB_ID, group: config.MQTT_SHARED_GROUP })
      : undefined;
    const alarmEngine = await run(new AlarmEngine(db, bus, alarms, logger.child({ module: 'alarm-engine' }), { zoneSchedules, ownership }));
    const evidence = await run(new EvidenceService(db, bus, commands, securityLogger, {
      snapshotTimeoutMs: config.EVIDENCE_SNAPSHOT_TIMEOUT_MS,
      lateSnapshotMs: config.EVIDENCE_LATE_SNAPSHOT_MS,
      reuseSnapshotSec: config.EVIDENCE_REUSE_SNAPSHOT_SEC,
      clipSeconds: config.EVIDENCE_CLIP_SECONDS,
    }));
    const doors = new DoorCommandService(db, bus, commands, securityLogger, { timeoutMs: config.DOOR_COMMAND_TIMEOUT_MS });
    const records = await run(new RecordsModule(db, logger.child({ module: 'records' }), {
      configured: config.RECORDS_ENCRYPTION_KEY,
      dataDir: config.DATA_DIR,
      sharedDatabase: config.DATABASE_URL !== undefined,
    }));

    const pm = await run(new PmService(db, bus, workOrders, logger.child({ module: 'maintenance' })));

    const serviceRequests = await run(new ServiceRequestService(db, bus, workOrders, logger.child({ module: 'service' })));
    const alarmRequests = await run(new AlarmRequestService(db, bus, logger.child({ module: 'service' })));

    const billing = await run(new BillingModule(db, bus, logger.child({ module: 'billing' }), records, {
      hubId: config.HUB_ID,
      smtpUrl: config.SMTP_URL,
      mailFrom: config.MAIL_FROM,
      smsProvider: config.SMS_PROVIDER,
      managerEmails: config.BILLING_MANAGER_EMAILS,
    }));
    // Alarm escalations are e-mailed and texted through the hub's one mailer and SMS gateway.
    alarms.setEscalationChannels({ mail: billing.mailer, sms: billing.sms });

    const http = await createHttpServer({ logger, auth, dashboardDir: config.DASHBOARD_DIR ?? DEFAULT_DASHBOARD_DIR, version: HUB_VERSION });
    registerHealthRoutes(http, { db, broker: { kind: broker ? 'embedded' : 'external', connected: () => link.connected } });
    registerAuthRoutes(http, auth);
    registerDeviceRoutes(http, db);
    registerIngestRoutes(http, db, ingest);
    registerTelemetryRoutes(http, telemetry.history);
    registerWorkOrderRoutes(http, workOrders);
    registerAlarmRoutes(http, db, alarms, alarmEngine);
    registerShiftLogRoutes(http, new ShiftLogService(db, bus));
    const handovers = await run(new HandoverService(db, bus, logger.child({ module: 'shiftlog' }), { acceptMinutes: config.HANDOVER_ACCEPT_MIN }));
    registerHandoverRoutes(http, handovers);
    registerRecordsRoutes(http, records);
    registerAssetRoutes(http, { equipment: new EquipmentService(db), parts: new PartsService(db, bus) });
    registerSecurityRoutes(http, { db, doors, zones: zoneSchedules, incidents });
    registerServiceRequestRoutes(http, serviceRequests);
    const surveys = new SurveyService(db);
    const improvementPlans = new ImprovementPlanService(db);
    registerQualityRoutes(http, { surveys, quality: new QualityService(db), plans: improvementPlans, report: new SatisfactionReportService(db, surveys, improvementPlans), alarmRequests });
    registerPmRoutes(http, pm);
    registerBillingRoutes(http, billing);
    const live = await run(new LiveHub(db, bus, auth, logger.child({ module: 'live' }), { heartbeatIntervalMs: config.LIVE_HEARTBEAT_MS }));
    registerLiveRoutes(http, live);
    // A deactivated user's open live stream closes at once, not at the next periodic session check.
    auth.onSessionsRevoked(() => void live.checkSessions());
    await http.listen({ host: config.HTTP_HOST, port: config.HTTP_PORT });
    started.push({ start: async () => {}, stop: () => http.close() });

    const address = http.server.address();
    const port = typeof address === 'object' && address ? address.port : config.HTTP_PORT;
    const host = config.HTTP_HOST === '0.0.0.0' || config.HTTP_HOST === '::' ? '127.0.0.1' : config.HTTP_HOST;
    return {
      config,
      logger,
      db,
      bus,
      auth,
      broker,
      link,
      registry,
      workOrders,
      ingest,
      telemetry,
      alarms,
      alarmEngine,
      commands,
      zoneSchedules,
      incidents,
      evidence,
      doors,
      records,
      serviceRequests,
      alarmRequests,
      pm,
      billing,
      handovers,
      live,
      http,
      url: `http://${host}:${port}`,
      mqttUrl: config.MQTT_URL ?? broker!.url,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
