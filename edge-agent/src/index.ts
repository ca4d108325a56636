/**
 * @warden/edge-agent — one process per building: device adapters, a durable
 * store-and-forward queue, and the MQTT link to the hub.
 */
export { EdgeAgent, AGENT_VERSION, type EdgeAgentDeps, type AgentStatus } from './agent/edge-agent.js';
export { systemClock, type Clock } from './agent/clock.js';
export type { QueuedMessage, DataKind } from './agent/outbox.js';
export {
  agentConfigSchema,
  deviceConfigSchema,
  adapterConfigSchema,
  mqttConfigSchema,
  queueConfigSchema,
  batchingConfigSchema,
  equipmentDeviceConfigSchema,
  cameraDeviceConfigSchema,
  doorDeviceConfigSchema,
  readIntervalMs,
  type AgentConfig,
  type AgentConfigInput,
  type DeviceConfig,
  type EquipmentDeviceConfig,
  type CameraDeviceConfig,
  type DoorDeviceConfig,
  type AdapterConfig,
  type SimulatedAdapterConfig,
} from './config/agent-config.schema.js';
export { loadAgentConfig, parseAgentConfig, AgentConfigError } from './config/agent-config.loader.js';
export { DiskQueue, QueueError, type DiskQueueOptions, type QueueEntry, type QueueStats } from './queue/disk-queue.js';
export {
  DeviceUnavailableError,
  type DeviceAdapter,
  type DeviceDescription,
  type Reading,
  type CommandOutcome,
  type AdapterSink,
  type AdapterContext,
  type AdapterFactory,
} from './adapters/device-adapter.js';
export { adapterFactories, onvifAdapterFactories, createAdapter } from './adapters/adapter-registry.js';
export { createSimulatedAdapter } from './adapters/simulated.adapter.js';
export { createOnvifCameraAdapter } from './adapters/camera-onvif.adapter.js';
export { createOnvifDoorAdapter, maskCredential } from './adapters/door-onvif.adapter.js';
export { OnvifSoapClient, OnvifError, describeOnvifError, type OnvifErrorKind } from './adapters/onvif/onvif-soap-client.js';
export { PullPointSubscription, type OnvifNotification } from './adapters/onvif/pull-point-subscription.js';
export { probeRtsp, RtspProbeError } from './adapters/onvif/rtsp-probe.js';
export { deviceCatalog, deviceTypes, equipmentTypes, onvifDeviceTypes, type DeviceType, type EquipmentType, type OnvifDeviceType } from './devices/device-catalog.js';
export {
  defineDevice,
  type CapabilityBlock,
  type DeviceDefinition,
  type CommandSpec,
  type EventRule,
  type DetectedEvent,
  type Transition,
  type MetricValue,
} from './devices/device-definition.js';
export * as blocks from './devices/capability-blocks.js';
