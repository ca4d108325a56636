import type { Logger } from 'pino';
import type { Database } from '../db/database.js';
import { OwnerService } from './owners.service.js';
import { RecordsCipher } from './records-cipher.js';
import { RecordsImportService } from './records-import.service.js';
import { loadRecordsKey, verifyRecordsKey, type RecordsKeyOptions } from './records-key.js';
import { StaffRecordService } from './staff-records.service.js';
import { UnitService } from './units.service.js';

export type RecordsOptions = RecordsKeyOptions;

interface RecordsServices {
  units: UnitService;
  owners: OwnerService;
  staff: StaffRecordService;
  imports: RecordsImportService;
}

/**
 * The property office's records: units, owners, staff and their CSV imports.
 * start() loads the encryption key of owners' personal data and checks it against
 * the database before anything can be read or written with it.
 */
export class RecordsModule {
  private services: RecordsServices | undefined;

  constructor(
    private readonly db: Database,
    private readonly logger: Logger,
    private readonly options: RecordsOptions,
  ) {}

  async start(): Promise<void> {
    const { key, source } = await loadRecordsKey(this.options, this.logger);
    const cipher = new RecordsCipher(key);
    // The derived keys live in the cipher; the master copy is not kept around.
    key.fill(0);
    await verifyRecordsKey(this.db, cipher);
    this.services = {
      units: new UnitService(this.db),
      owners: new OwnerService(this.db, cipher),
      staff: new StaffRecordService(this.db),
      imports: new RecordsImportService(this.db, cipher),
    };
    this.logger.info({ keySource: source }, 'records ready');
  }

  async stop(): Promise<void> {
    this.services = undefined;
  }

  get units(): UnitService {
    return this.started().units;
  }

  get owners(): OwnerService {
    return this.started().owners;
  }

  get staff(): StaffRecordService {
    return this.started().staff;
  }

  get imports(): RecordsImportService {
    return this.started().imports;
  }

  private started(): RecordsServices {
    if (!this.services) throw new Error('the records module is not started');
    return this.services;
  }
}
