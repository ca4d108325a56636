import { describe, expect, it } from 'vitest';
import { assessReading, correctedConsumption, formatDecimal, parseDecimal, usualOf, type ReadingInput } from './meter-readings.js';

const base: ReadingInput = { start: '100.000', end: '112.345', rolloverAt: null, multiplier: '1.0000', replaced: null, history: [] };

describe('meter reading checks', () => {
  it('bills end − start of a plain period exactly, with no flag', () => {
    expect(assessReading(base)).toEqual({ consumption: '12.345', usual: null, source: 'telemetry', flags: [], status: 'ok' });
    // 0.1 + 0.2 style float errors cannot happen: thousandths are integers.
    expect(assessReading({ ...base, start: '0.100', end: '0.300' }).consumption).toBe('0.200');
  });

  it('applies the multiplier and rounds half away from zero to 3 places', () => {
    expect(assessReading({ ...base, start: '0', end: '1.001', multiplier: '0.5000' }).consumption).toBe('0.501');
    expect(assessReading({ ...base, start: '0', end: '10', multiplier: '40' }).consumption).toBe('400.000');
  });

  it('flags a wrapped register as rollover with consumption rolloverAt − start + end', () => {
    const r = assessReading({ ...base, start: '99990.000', end: '5.500', rolloverAt: '99999.999' });
    expect(r).toMatchObject({ consumption: '15.499', flags: ['rollover'], status: 'flagged' });
  });

  it('flags end < start without a rollover value as negative', () => {
    expect(assessReading({ ...base, start: '50', end: '40' })).toMatchObject({ consumption: '-10.000', flags: ['negative'], status: 'flagged' });
  });

  it('reads across a replaced meter: old final − start + new end − new initial', () => {
    const r = assessReading({ ...base, start: '900.000', end: '3.000', replaced: { oldFinal: '910.000', newInitial: '0.500' } });
    expect(r).toMatchObject({ consumption: '12.500', flags: ['replaced'], status: 'flagged' });
  });

  it('estimates a missing reading from the usual consumption, or leaves it to the clerk without history', () => {
    expect(assessReading({ ...base, end: null, history: ['10', '12', '14'] })).toEqual({ consumption: '12.000', usual: '12.000', source: 'estimated', flags: ['missing', 'estimated'], status: 'flagged' });
    expect(assessReading({ ...base, start: null, history: ['10'] })).toEqual({ consumption: null, usual: null, source: 'estimated', flags: ['missing'], status: 'flagged' });
  });

  it('flags consumption above 10× the usual as implausible, needing 2 earlier periods', () => {
    const history = ['1.000', '1.200'];
    expect(assessReading({ ...base, start: '0', end: '11.000', history })).toMatchObject({ usual: '1.100', flags: [], status: 'ok' });
    expect(assessReading({ ...base, start: '0', end: '11.001', history })).toMatchObject({ flags: ['implausible'], status: 'flagged' });
    expect(assessReading({ ...base, start: '0', end: '500', history: ['1'] })).toMatchObject({ usual: null, flags: [] });
  });

  it('averages at most the 6 newest periods', () => {
    expect(usualOf(['1', '1', '1', '1', '1', '1', '100'])).toBe('1.000');
    expect(usualOf(['1', '2', '2'])).toBe('1.667');
  });

  it('works out a corrected consumption, refusing a negative one', () => {
    expect(correctedConsumption({ start: '10', end: '12.5', multiplier: '2' })).toBe('5.000');
    expect(correctedConsumption({ start: '10', end: '12', consumption: '7.25', multiplier: '1' })).toBe('7.250');
    expect(correctedConsumption({ start: '10', end: '9', multiplier: '1' })).toBeNull();
    expect(correctedConsumption({ start: null, end: '9', multiplier: '1' })).toBeNull();
  });

  it('parses and prints exact decimals, refusing extra places', () => {
    expect(formatDecimal(parseDecimal('-0.05', 3), 3)).toBe('-0.050');
    expect(() => parseDecimal('1.2345', 3)).toThrow(RangeError);
    expect(() => parseDecimal('1e3', 3)).toThrow(RangeError);
  });
});
