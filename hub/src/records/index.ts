export { upsertSite, upsertBuilding, upsertFloor } from './estate.repository.js';
