import { describe, expect, it } from 'vitest';
import { agentIdentity, clientIdRefusal, publishRefusal, subscribeRefusal, type BrokerIdentity } from './topic-acl.js';

const agent = agentIdentity('agent-1', 'site-a');
const hub: BrokerIdentity = { kind: 'hub', username: 'hub:h1' };

describe('topic ACL', () => {
  it('lets an agent publish below its own prefix, including command acknowledgements', () => {
    expect(publishRefusal(agent, 'warden/v1/site-a/agent-1/telemetry')).toBeUndefined();
    expect(publishRefusal(agent, 'warden/v1/site-a/agent-1/device/pump-1/birth')).toBeUndefined();
    expect(publishRefusal(agent, 'warden/v1/site-a/agent-1/cmd/ack')).toBeUndefined();
  });

  it("refuses an agent's publish under another agent, another site, or its own command topic", () => {
    expect(publishRefusal(agent, 'warden/v1/site-a/agent-2/telemetry')).toMatch(/own prefix warden\/v1\/site-a\/agent-1\//);
    expect(publishRefusal(agent, 'warden/v1/site-b/agent-1/telemetry')).toMatch(/own prefix/);
    // A prefix match must end at a level boundary: agent-1 is not agent-10.
    expect(publishRefusal(agent, 'warden/v1/site-a/agent-10/telemetry')).toMatch(/own prefix/);
    expect(publishRefusal(agent, 'warden/v1/site-a/agent-1/cmd')).toMatch(/hub to the agent only/);
  });

  it('refuses $-topics and wildcards to everyone, the hub included', () => {
    for (const who of [agent, hub]) {
      expect(publishRefusal(who, '$SYS/broker/heartbeat')).toMatch(/reserved/);
      expect(publishRefusal(who, 'warden/v1/site-a/agent-1/+')).toMatch(/wildcards/);
      expect(publishRefusal(who, 'warden/v1/site-a/agent-1/#')).toMatch(/wildcards/);
    }
    expect(publishRefusal(hub, 'warden/v1/site-a/agent-1/cmd')).toBeUndefined();
  });

  it('lets an agent subscribe only to its own command topic; the hub to anything', () => {
    expect(subscribeRefusal(agent, 'warden/v1/site-a/agent-1/cmd')).toBeUndefined();
    expect(subscribeRefusal(agent, 'warden/v1/site-a/agent-2/cmd')).toMatch(/only to its own/);
    expect(subscribeRefusal(agent, 'warden/v1/site-a/agent-1/#')).toMatch(/only to its own/);
    expect(subscribeRefusal(agent, '#')).toMatch(/only to its own/);
    expect(subscribeRefusal(hub, 'warden/v1/+/+/telemetry')).toBeUndefined();
  });

  it("holds an agent to client ids that start with its own id, and keeps the hub's ids for the hub", () => {
    expect(clientIdRefusal(agent, 'agent-1')).toBeUndefined();
    expect(clientIdRefusal(agent, 'agent-1:camera')).toBeUndefined();
    expect(clientIdRefusal(agent, 'agent-1-test')).toBeUndefined();
    expect(clientIdRefusal(agent, 'agent-10')).toMatch(/must be its agent id/);
    expect(clientIdRefusal(agent, 'agent-2')).toMatch(/must be its agent id/);
    expect(clientIdRefusal(agent, 'warden-hub-h1')).toMatch(/hub/);
    expect(clientIdRefusal(hub, 'warden-hub-h1')).toBeUndefined();
  });
});
