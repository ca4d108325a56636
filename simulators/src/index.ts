/**
 * @warden/simulators — an estate from one file comes alive: devices with
 * realistic, seeded signals, injectable faults and scripted scenarios, plus
 * the edge-agent configs that bridge them to MQTT.
 */
import { fileURLToPath } from 'node:url';

export { faultNames, modelNames, faultsByModel, faultApplies, type FaultName, type ModelName } from './faults/fault-catalog.js';
export { FaultBook, type FaultWindow } from './faults/fault-book.js';
export type { SimSample, SimValue } from './models/device-model.js';
export {
  Simulation,
  SimulationError,
  DeviceOfflineError,
  modelMetrics,
  type SimulationOptions,
} from './simulation/simulation.js';
export {
  simulatedModelSchema,
  simulatedModelSchemas,
  simulatedAdapterSchema,
  scenarioStepSchema,
  deviceFaultStepSchema,
  deviceIdSchema,
  paramsSchemas,
  pumpParamsSchema,
  levelParamsSchema,
  climateParamsSchema,
  waterMeterParamsSchema,
  electricityMeterParamsSchema,
  liftParamsSchema,
  detectorParamsSchema,
  parseSimulatedDevice,
  type ScenarioStep,
  type DeviceFaultStep,
  type SimulatedDevice,
  type SimulatedModelOptions,
  type SimulatedModelInput,
  type SimulatedAdapterOptions,
  type SimulatedAdapterInput,
  type ParamsOf,
} from './simulation/simulated-device.schema.js';
export {
  estateSchema,
  buildingSchema,
  estateDeviceSchema,
  scenarioFileSchema,
  defaultPollMs,
  cameraParamsSchema,
  doorParamsSchema,
  isSimulatedEstateDevice,
  type SimulatedEstateDevice,
  type OnvifEstateDevice,
  type Estate,
  type EstateInput,
  type Building,
  type EstateDevice,
} from './estate/estate.schema.js';
export { loadEstate, parseEstate, loadScenario, EstateError } from './estate/estate-loader.js';
export { simulatedDevicesOf, onvifDevicesOf } from './estate/estate-simulation.js';
export { startOnvifSimulators, type EstateOnvifSimulators, type OnvifSimulatorOptions } from './estate/onvif-simulators.js';
export {
  estateToAgentConfigs,
  agentIdOf,
  type AgentConfigOptions,
  type SimulatedAgentConfig,
  type SimulatedAgentDeviceConfig,
  type CameraAgentDeviceConfig,
  type DoorAgentDeviceConfig,
  type AgentDeviceConfig,
  type OnvifEndpoint,
  type SimulatedAdapterConfig,
} from './estate/agent-configs.js';
export { deriveSeed } from './signals/seeded-noise.js';
export { localHour, residentialWaterProfile, residentialPowerProfile, liftTrafficProfile } from './signals/daily-profiles.js';
export {
  CameraSimulator,
  cameraSimulatorOptionsSchema,
  cameraFaultNames,
  cameraFaultRequestSchema,
  type CameraSimulatorOptions,
  type CameraEndpoints,
  type CameraState,
  type CameraFault,
} from './camera/camera-simulator.js';
export {
  DoorControllerSimulator,
  doorControllerOptionsSchema,
  doorScenarioNames,
  doorScenarioRequestSchema,
  simulatedCardholders,
  type DoorControllerOptions,
  type DoorControllerEndpoints,
  type DoorInfo,
  type DoorScenarioName,
  type DoorScenarioRequest,
} from './door/door-controller-simulator.js';
export type { DoorState, DoorPhysicalState, LockPhysicalState, DoorMode, DoorAlarmState, DoorTamperState } from './door/simulated-door.js';
export { OnvifSoapClient, type SoapResponse } from './camera/onvif-soap-client.js';
export { probeMessage } from './camera/ws-discovery.js';
export { stderrLogger, silentLogger, type SimLogger, type SimLogLevel } from './camera/sim-logger.js';

/** Absolute path of the bundled demo estate (simulators/estates/demo.json). */
export const demoEstatePath = fileURLToPath(new URL('../estates/demo.json', import.meta.url));
