export { upsertSite, upsertBuilding, upsertFloor } from './estate.repository.js';
export { importEstate, importEstateFile, floorsOf } from './estate-import.js';
