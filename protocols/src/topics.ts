/**
 * The MQTT topic namespace. Every topic is `warden/v1/{site}/{agent}/...`:
 * one agent per building, devices below it. The hub subscribes with wildcards;
 * an agent may publish only below its own `warden/v1/{site}/{agent}/` prefix.
 */

export const PROTOCOL_VERSION = 1;
export const TOPIC_ROOT = `warden/v${PROTOCOL_VERSION}`;

/** Site, agent and device ids: short, MQTT-safe (no wildcards, no slashes). */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export type TopicKind = 'state' | 'deviceBirth' | 'telemetry' | 'event' | 'command' | 'commandAck';

export interface AgentAddress {
  site: string;
  agent: string;
}

export interface ParsedTopic extends AgentAddress {
  kind: TopicKind;
  /** Present for device births. */
  device?: string;
}

const suffixes: Record<Exclude<TopicKind, 'deviceBirth'>, string> = {
  state: 'state',
  telemetry: 'telemetry',
  event: 'event',
  command: 'cmd',
  commandAck: 'cmd/ack',
};

function checkId(what: string, id: string): string {
  if (!ID_PATTERN.test(id)) throw new Error(`invalid ${what} id ${JSON.stringify(id)}: expected ${ID_PATTERN}`);
  return id;
}

export function agentPrefix({ site, agent }: AgentAddress): string {
  return `${TOPIC_ROOT}/${checkId('site', site)}/${checkId('agent', agent)}/`;
}

export const topics = {
  state: (a: AgentAddress) => `${agentPrefix(a)}state`,
  deviceBirth: (a: AgentAddress, device: string) => `${agentPrefix(a)}device/${checkId('device', device)}/birth`,
  telemetry: (a: AgentAddress) => `${agentPrefix(a)}telemetry`,
  event: (a: AgentAddress) => `${agentPrefix(a)}event`,
  command: (a: AgentAddress) => `${agentPrefix(a)}cmd`,
  commandAck: (a: AgentAddress) => `${agentPrefix(a)}cmd/ack`,
};

/** What the hub subscribes to: everything agents publish (commands go the other way). */
export const hubSubscriptions = [
  `${TOPIC_ROOT}/+/+/state`,
  `${TOPIC_ROOT}/+/+/device/+/birth`,
  `${TOPIC_ROOT}/+/+/telemetry`,
  `${TOPIC_ROOT}/+/+/event`,
  `${TOPIC_ROOT}/+/+/cmd/ack`,
] as const;

/** MQTT 5 shared subscription so several hubs split the inbound load. */
export function sharedSubscription(filter: string, group = 'warden'): string {
  return `$share/${group}/${filter}`;
}

/** Parses a topic of the namespace; returns undefined for anything outside it. */
export function parseTopic(topic: string): ParsedTopic | undefined {
  const parts = topic.split('/');
  if (parts.length < 4 || `${parts[0]}/${parts[1]}` !== TOPIC_ROOT) return undefined;
  const [, , site, agent, ...rest] = parts;
  if (!ID_PATTERN.test(site) || !ID_PATTERN.test(agent)) return undefined;
  const tail = rest.join('/');
  if (rest.length === 3 && rest[0] === 'device' && rest[2] === 'birth' && ID_PATTERN.test(rest[1])) {
    return { site, agent, kind: 'deviceBirth', device: rest[1] };
  }
  for (const [kind, suffix] of Object.entries(suffixes) as [TopicKind, string][]) {
    if (tail === suffix) return { site, agent, kind };
  }
  return undefined;
}
