export { registerAssetRoutes } from './assets.routes.js';
export { EquipmentService } from './equipment.service.js';
export { PartsService } from './parts.service.js';
