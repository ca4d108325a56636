/**
 * The broker module: agent MQTT credentials, the embedded aedes broker (per-agent
 * login and topic ACL) and the hub's own MQTT link to that broker or an external one.
 */
export {
  ensureAgent,
  forgetAgentVerification,
  provisionAgent,
  verifyAgent,
  type ProvisionAgentInput,
  type ProvisionedAgent,
  type VerifiedAgent,
} from './agent-credentials.js';
export { EmbeddedBroker, EmbeddedLink, type BrokerCredentials, type EmbeddedBrokerOptions, type EmbeddedBrokerStats } from './embedded-broker.js';
export {
  BrokerLink,
  topicMatches,
  type BrokerLinkOptions,
  type BrokerLinkStats,
  type MessageHandler,
  type PublishOptions,
  type SubscribeOptions,
} from './broker-link.js';
export { BrokerLinkPool } from './link-pool.js';
export { HUB_CLIENT_ID_PREFIX, type BrokerIdentity } from './topic-acl.js';
