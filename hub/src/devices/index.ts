export { DeviceRegistry, type SeriesRef } from './devices.service.js';
export { registerDeviceRoutes } from './devices.routes.js';
