import { isMessageKey, type Translate } from '../i18n/i18n-context.tsx';
import { type MetricValue } from '../api/hub-api.ts';
import { formatNumber } from '../i18n/format.ts';
import { type Locale } from '../i18n/i18n-context.tsx';

/**
 * Device types are dotted and open-ended ("meter.water", "sensor.temperature"); name the
 * ones we know, fall back to the family name plus the raw rest, and to the raw type last.
 */
export function deviceTypeLabel(t: Translate, type: string): string {
  const full = `deviceType.${type}`;
  if (isMessageKey(full)) return t(full);
  const [family, ...rest] = type.split('.');
  const familyKey = `deviceType.${family}`;
  if (isMessageKey(familyKey)) return rest.length ? `${t(familyKey)} · ${rest.join('.')}` : t(familyKey);
  return type;
}

export function floorLabel(t: Translate, floor: string | null): string {
  if (floor === null) return t('devices.noFloor');
  // "3" reads as "Floor 3" / "3 层"; named floors (B1, Roof, 3F) are already words.
  return /^-?\d+$/.test(floor.trim()) ? t('devices.floor', { floor: floor.trim() }) : floor;
}

export function metricValueText(t: Translate, locale: Locale, value: MetricValue, unit: string | null): string {
  if (value === null) return '—';
  if (typeof value === 'boolean') return value ? t('common.yes') : t('common.no');
  if (typeof value === 'number') return unit ? `${formatNumber(locale, value)} ${unit}` : formatNumber(locale, value);
  return unit ? `${value} ${unit}` : value;
}
