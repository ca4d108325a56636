export { DeviceRegistry, type SeriesRef } from './devices.service.js';
export { registerDeviceRoutes } from './devices.routes.js';
export { DeviceStatusFeed } from './device-status-feed.js';
