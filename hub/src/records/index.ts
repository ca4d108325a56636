export { upsertSite, upsertBuilding, upsertFloor } from './estate.repository.js';
export { importEstate, importEstateFile, floorsOf } from './estate-import.js';
export { RecordsModule, type RecordsOptions } from './records.module.js';
export { registerRecordsRoutes } from './records.routes.js';
export { RecordsCipher } from './records-cipher.js';
export { GENERATED_KEY_FILE } from './records-key.js';
export { maskNationalId, maskPhone, normaliseNationalId, residentIdCheckChar } from './personal-data.js';
export { idRevealRoles, contactRoles, recordsReaderRoles, recordsWriterRoles } from './records-access.js';
