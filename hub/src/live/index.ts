export { appendLiveEvent, LIVE_CHANNEL, LIVE_EVENT_LOCK, type LiveEventInput } from './live-feed.js';
export { isVisibleTo, LIVE_CLOSE, LiveHub, type LiveHubOptions, type LiveStats } from './live-hub.js';
export { registerLiveRoutes } from './live.routes.js';
