import type { DeviceModel, ModelContext, SimSample } from './device-model.js';

/**
 * A smoke or water-leak detector: a boolean that is true while its fault
 * (`smoke` or `leak`) is active. Real detectors are quiet almost always;
 * incidents come from scenarios or the `simulate.fault` command.
 */
export class DetectorModel implements DeviceModel {
  readonly deviceIds: readonly string[];

  constructor(
    private readonly id: string,
    private readonly kind: 'smoke' | 'leak',
    private readonly ctx: ModelContext,
  ) {
    this.deviceIds = [id];
  }

  step(): void {}

  read(_deviceId: string, t: number): SimSample {
    return { [this.kind]: this.ctx.faults.active(this.id, this.kind, t) };
  }
}
