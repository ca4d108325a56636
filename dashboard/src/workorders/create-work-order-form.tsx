import { useId, useMemo, useState, type FormEvent } from 'react';
import { ApiError, CLIENT_ERR_NETWORK } from '../api/client.ts';
import { createManualWorkOrder, listDevices, workOrderKinds, workOrderPriorities, type NewWorkOrder, type WorkOrder, type WorkOrderKind, type WorkOrderPriority } from '../api/hub-api.ts';
import { usePolled } from '../api/use-polled.ts';
import { useT } from '../i18n/i18n-context.tsx';
import { ErrorText } from '../shell/error-text.tsx';
import { kindLabel, priorityLabel, tradeLabel } from './labels.ts';

export const knownTrades = ['plumbing', 'electrical', 'lift', 'hvac', 'fire', 'general'] as const;

/**
 * A work order opened by hand (a phone call, a walk-round finding): the same model as
 * those opened by alarms, dispatched at once by the hub. Trade and building default
 * from the device when one is chosen.
 */
export function CreateWorkOrderForm({ buildings, onCreated, onCancel }: { buildings: { id: string; name: string }[]; onCreated: (wo: WorkOrder, warnings: string[]) => void; onCancel: () => void }) {
  const t = useT();
  const ids = { kind: useId(), title: useId(), description: useId(), priority: useId(), trade: useId(), building: useId(), device: useId(), location: useId() };
  const devices = usePolled('wo-create-devices', listDevices, 0);
  const [kind, setKind] = useState<WorkOrderKind>('maintenance');
  const [title, setTitle] = useState('');
  const [description, setDescription] = useState('');
  const [priority, setPriority] = useState<WorkOrderPriority>('medium');
  const [trade, setTrade] = useState('');
  const [building, setBuilding] = useState('');
  const [deviceId, setDeviceId] = useState('');
  const [location, setLocation] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  const deviceChoices = useMemo(
    () => (devices.data ?? []).filter((d) => !building || d.building === building).sort((a, b) => a.name.localeCompare(b.name)),
    [devices.data, building],
  );

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!title.trim()) return;
    const body: NewWorkOrder = {
      kind,
      title: title.trim(),
      priority,
      ...(description.trim() ? { description: description.trim() } : {}),
      ...(kind === 'maintenance' && trade ? { trade } : {}),
      ...(building ? { buildingId: building } : {}),
      ...(deviceId ? { deviceId: Number(deviceId) } : {}),
      ...(location.trim() ? { location: location.trim() } : {}),
    };
    setBusy(true);
    setError(null);
    try {
      const outcome = await createManualWorkOrder(body);
      onCreated(outcome.workOrder, outcome.warnings);
    } catch (cause) {
      setError(cause instanceof ApiError ? cause : new ApiError(0, CLIENT_ERR_NETWORK, String(cause)));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card wo-create" data-testid="wo-create-form" onSubmit={(e) => void submit(e)} aria-labelledby="wo-create-title">
      <div className="card__head">
        <h2 className="card__title" id="wo-create-title">
          {t('wo.create.title')}
        </h2>
        <span className="muted small">{t('wo.create.hint')}</span>
      </div>
      <div className="wo-create__grid">
        <div className="field wo-create__wide">
          <label htmlFor={ids.title}>{t('wo.create.summary')}</label>
          <input id={ids.title} data-testid="wo-create-title" required maxLength={200} autoFocus value={title} onChange={(e) => setTitle(e.target.value)} placeholder={t('wo.create.summaryPlaceholder')} />
        </div>
        <div className="field">
          <label htmlFor={ids.kind}>{t('wo.field.kind')}</label>
          <select id={ids.kind} data-testid="wo-create-kind" value={kind} onChange={(e) => setKind(e.target.value as WorkOrderKind)}>
            {workOrderKinds.map((k) => (
              <option key={k} value={k}>
                {kindLabel(t, k)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.priority}>{t('wo.field.priority')}</label>
          <select id={ids.priority} data-testid="wo-create-priority" value={priority} onChange={(e) => setPriority(e.target.value as WorkOrderPriority)}>
            {workOrderPriorities.map((p) => (
              <option key={p} value={p}>
                {priorityLabel(t, p)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.trade}>{t('wo.field.trade')}</label>
          <select id={ids.trade} data-testid="wo-create-trade" value={kind === 'security' ? 'security' : trade} disabled={kind === 'security'} onChange={(e) => setTrade(e.target.value)}>
            {kind === 'security' ? <option value="security">{tradeLabel(t, 'security')}</option> : <option value="">{t('wo.create.tradeDefault')}</option>}
            {kind === 'maintenance'
              ? knownTrades.map((tr) => (
                  <option key={tr} value={tr}>
                    {tradeLabel(t, tr)}
                  </option>
                ))
              : null}
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.building}>{t('wo.field.building')}</label>
          <select
            id={ids.building}
            data-testid="wo-create-building"
            value={building}
            onChange={(e) => {
              setBuilding(e.target.value);
              setDeviceId('');
            }}
          >
            <option value="">{t('wo.create.buildingDefault')}</option>
            {buildings.map((b) => (
              <option key={b.id} value={b.id}>
                {b.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.device}>{t('wo.field.equipment')}</label>
          <select id={ids.device} data-testid="wo-create-device" value={deviceId} onChange={(e) => setDeviceId(e.target.value)}>
            <option value="">{t('wo.create.noDevice')}</option>
            {deviceChoices.map((d) => (
              <option key={d.id} value={d.id}>
                {d.name} ({d.code})
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.location}>{t('wo.field.location')}</label>
          <input id={ids.location} data-testid="wo-create-location" maxLength={200} value={location} onChange={(e) => setLocation(e.target.value)} />
        </div>
        <div className="field wo-create__wide">
          <label htmlFor={ids.description}>{t('wo.field.description')}</label>
          <textarea id={ids.description} data-testid="wo-create-description" rows={3} maxLength={4000} value={description} onChange={(e) => setDescription(e.target.value)} />
        </div>
      </div>
      {error ? (
        <p className="form__error">
          <ErrorText error={error} />
        </p>
      ) : null}
      <div className="button-row wo-create__actions">
        <button type="submit" className="button button--primary" data-testid="wo-create-submit" disabled={busy || !title.trim()}>
          {busy ? t('wo.action.working') : t('wo.create.submit')}
        </button>
        <button type="button" className="button" onClick={onCancel}>
          {t('wo.action.back')}
        </button>
      </div>
    </form>
  );
}
