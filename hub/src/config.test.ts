import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('configuration from the environment', () => {
  it('applies documented defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config.HTTP_PORT).toBe(8080);
    expect(config.MQTT_PORT).toBe(1883);
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.DATA_DIR).toBe('./data');
    expect(config.MQTT_PORT_FALLBACK).toBe(false);
  });

  it('coerces numbers and booleans', () => {
    const config = loadConfig({ HTTP_PORT: '0', DEMO_USERS: 'yes', MQTT_PORT_FALLBACK: 'true' });
    expect(config.HTTP_PORT).toBe(0);
    expect(config.DEMO_USERS).toBe(true);
    expect(config.MQTT_PORT_FALLBACK).toBe(true);
  });

  it('names every bad variable and what was expected', () => {
    let error: unknown;
    try {
      loadConfig({ HTTP_PORT: 'eighty', MQTT_PORT: '70000', DATABASE_URL: 'mysql://root@localhost/x', LOG_LEVEL: 'loud' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toMatch(/HTTP_PORT: expected a port number.*"eighty"/);
    expect(message).toMatch(/MQTT_PORT: expected a port number from 0 to 65535/);
    expect(message).toMatch(/DATABASE_URL: expected a postgres:\/\/ or postgresql:\/\/ URL/);
    expect(message).toMatch(/LOG_LEVEL:/);
    expect((error as ConfigError).problems).toHaveLength(4);
  });

  it('never echoes a secret in its error', () => {
    expect(() => loadConfig({ ADMIN_INITIAL_PASSWORD: 'short' })).toThrow(/ADMIN_INITIAL_PASSWORD: expected at least 12 characters \(got "\*\*\*"\)/);
    expect(() => loadConfig({ DATABASE_URL: 'postgres://user:hunter2@db' , DATABASE_POOL_SIZE: '0'})).toThrow(ConfigError);
    try {
      loadConfig({ MQTT_URL: 'http://user:hunter2@broker' });
    } catch (err) {
      expect((err as Error).message).not.toContain('hunter2');
      expect((err as Error).message).toContain('MQTT_URL');
    }
  });

  it('treats empty variables as unset, as docker-compose writes them', () => {
    expect(loadConfig({ DATABASE_URL: '', MQTT_URL: '' }).DATABASE_URL).toBeUndefined();
  });

  it('refuses external-broker credentials without an external broker', () => {
    expect(() => loadConfig({ MQTT_USERNAME: 'hub' })).toThrow(/MQTT_USERNAME\/MQTT_PASSWORD: only used with MQTT_URL/);
  });
});
