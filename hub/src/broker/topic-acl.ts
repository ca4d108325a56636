import { agentPrefix, topics } from '@warden/protocols';

/**
 * Who a broker client is, decided once at CONNECT, and what it may do.
 * The hub may do anything; an agent publishes only below its own
 * `warden/v1/{site}/{agent}/` prefix and receives only its own commands.
 */
export type BrokerIdentity =
  | { kind: 'hub'; username: string }
  | { kind: 'agent'; agentId: string; siteId: string; prefix: string; commandTopic: string };

/** The hub's MQTT client ids start with this; no agent may take one (see clientIdRefusal). */
export const HUB_CLIENT_ID_PREFIX = 'warden-hub-';

export function agentIdentity(agentId: string, siteId: string): BrokerIdentity {
  const address = { site: siteId, agent: agentId };
  return { kind: 'agent', agentId, siteId, prefix: agentPrefix(address), commandTopic: topics.command(address) };
}

/** Why this publish (or Last Will) is refused; undefined when it is allowed. */
export function publishRefusal(identity: BrokerIdentity, topic: string): string | undefined {
  if (topic.length === 0) return 'empty topic';
  // `$SYS/...` is the broker's own namespace (aedes heartbeats, client events); `$share/...` is a filter, never a topic.
  if (topic.startsWith('$')) return 'topics starting with "$" are reserved to the broker';
  if (topic.includes('+') || topic.includes('#')) return 'wildcards are not allowed in a topic name (MQTT-3.3.2-2)';
  if (identity.kind === 'hub') return undefined;
  if (!topic.startsWith(identity.prefix)) return `outside the agent's own prefix ${identity.prefix}`;
  if (topic === identity.commandTopic) return 'commands go from the hub to the agent only';
  return undefined;
}

/** Why this subscription is refused; undefined when it is allowed. */
export function subscribeRefusal(identity: BrokerIdentity, filter: string): string | undefined {
  if (identity.kind === 'hub') return undefined;
  if (filter !== identity.commandTopic) return `an agent may subscribe only to its own ${identity.commandTopic}`;
  return undefined;
}

/**
 * An agent's client id must start with its agent id: exactly `{agentId}`, or
 * `{agentId}` followed by a non-alphanumeric separator and anything (`b7:cam`,
 * `b7-test`). So no agent can take a client id another agent would use by default,
 * nor the hub's; a CONNECT with a client id in use disconnects the holder
 * (MQTT-3.1.4-2) and inherits its session. Ids that still collide (agent `b7`
 * using `b7-x` while an agent `b7-x` exists) are settled by session ownership in
 * the broker.
 */
export function clientIdRefusal(identity: BrokerIdentity, clientId: string): string | undefined {
  if (identity.kind === 'hub') return undefined;
  const { agentId } = identity;
  if (clientId.startsWith(HUB_CLIENT_ID_PREFIX)) return `client ids starting with ${HUB_CLIENT_ID_PREFIX} are the hub's`;
  if (clientId === agentId || (clientId.startsWith(agentId) && !/[A-Za-z0-9]/.test(clientId[agentId.length]))) return undefined;
  return `an agent's client id must be its agent id "${agentId}", or start with it followed by a separator such as ":" or "-"`;
}

/** The key that owns a client id's session: one identity per client id. */
export function identityKey(identity: BrokerIdentity): string {
  return identity.kind === 'hub' ? `hub ${identity.username}` : `agent ${identity.agentId}`;
}
