import { useEffect, useId, useMemo, useState, type FormEvent } from 'react';
import { ApiError, CLIENT_ERR_NETWORK, isAbortError } from '../api/client.ts';
import {
  acknowledgeAlarm,
  assignWorkOrder,
  commentAlarm,
  createWorkOrder,
  listStaff,
  shelveAlarm,
  type AlarmCategory,
  type AlarmView,
  type Role,
  type StaffMember,
  type WorkOrderBrief,
} from '../api/hub-api.ts';
import { useT } from '../i18n/i18n-context.tsx';
import { ErrorText } from '../shell/error-text.tsx';
import { dispositionLabel, dispositions, durationText, shelveDurations, type Disposition } from './alarm-labels.ts';

/** Runs one request for a form: busy flag, the hub's error, and no double submit. */
function useSubmit() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const run = async (work: () => Promise<void>) => {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (cause) {
      setError(cause instanceof ApiError ? cause : new ApiError(0, CLIENT_ERR_NETWORK, String(cause)));
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run };
}

interface ActionFormProps {
  alarm: AlarmView;
  /** Called with the hub's answer; the console applies it at once. */
  onDone: (view: AlarmView) => void;
  onCancel: () => void;
}

export function AckForm({ alarm, onDone, onCancel }: ActionFormProps) {
  const t = useT();
  const id = useId();
  // No default: the hub requires the operator to say what they found (ISA-18.2 review counts it).
  const [disposition, setDisposition] = useState<Disposition | ''>('');
  const [note, setNote] = useState('');
  const { busy, error, run } = useSubmit();
  const noteRequired = disposition === 'other';
  const ready = disposition !== '' && (!noteRequired || note.trim() !== '');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!ready) return;
    void run(async () => onDone(await acknowledgeAlarm(alarm.alarmId, { disposition, note: note.trim() || undefined })));
  };
  return (
    <form className="alarm-form" data-testid="alarm-ack-form" onSubmit={submit}>
      <div className="field">
        <label htmlFor={`${id}-d`}>{t('alarms.ack.disposition')}</label>
        <select id={`${id}-d`} data-testid="alarm-ack-disposition" value={disposition} required onChange={(e) => setDisposition(e.target.value as Disposition)}>
          <option value="" disabled>
            {t('alarms.ack.disposition')}
          </option>
          {dispositions.map((code) => (
            <option key={code} value={code}>
              {t(dispositionLabel[code])}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${id}-n`}>{t(noteRequired ? 'alarms.ack.noteRequired' : 'alarms.ack.note')}</label>
        <input id={`${id}-n`} data-testid="alarm-ack-note" value={note} required={noteRequired} maxLength={1000} onChange={(e) => setNote(e.target.value)} />
      </div>
      {error ? <ErrorText error={error} testId="alarm-action-error" /> : null}
      <div className="button-row">
        <button type="submit" className="button button--danger" data-testid="alarm-ack-submit" disabled={busy || !ready}>
          {t('alarms.ack.submit')}
        </button>
        <button type="button" className="button button--quiet" onClick={onCancel}>
          {t('alarms.cancel')}
        </button>
      </div>
    </form>
  );
}

export function ShelveForm({ alarm, onDone, onCancel }: ActionFormProps) {
  const t = useT();
  const id = useId();
  const [reason, setReason] = useState('');
  const [minutes, setMinutes] = useState(60);
  const { busy, error, run } = useSubmit();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!reason.trim()) return;
    void run(async () => onDone(await shelveAlarm(alarm.alarmId, { reason: reason.trim(), minutes })));
  };
  return (
    <form className="alarm-form" data-testid="alarm-shelve-form" onSubmit={submit}>
      <div className="field">
        <label htmlFor={`${id}-r`}>{t('alarms.shelve.reason')}</label>
        <input
          id={`${id}-r`}
          data-testid="alarm-shelve-reason"
          value={reason}
          required
          maxLength={1000}
          placeholder={t('alarms.shelve.reasonPlaceholder')}
          onChange={(e) => setReason(e.target.value)}
        />
      </div>
      <div className="field">
        <label htmlFor={`${id}-m`}>{t('alarms.shelve.duration')}</label>
        <select id={`${id}-m`} data-testid="alarm-shelve-minutes" value={minutes} onChange={(e) => setMinutes(Number(e.target.value))}>
          {shelveDurations.map((m) => (
            <option key={m} value={m}>
              {durationText(t, m)}
            </option>
          ))}
        </select>
      </div>
      {error ? <ErrorText error={error} testId="alarm-action-error" /> : null}
      <div className="button-row">
        <button type="submit" className="button button--primary" data-testid="alarm-shelve-submit" disabled={busy || !reason.trim()}>
          {t('alarms.shelve.submit')}
        </button>
        <button type="button" className="button button--quiet" onClick={onCancel}>
          {t('alarms.cancel')}
        </button>
      </div>
    </form>
  );
}

export function CommentForm({ alarm, onDone }: Omit<ActionFormProps, 'onCancel'>) {
  const t = useT();
  const [note, setNote] = useState('');
  const { busy, error, run } = useSubmit();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const text = note.trim();
    if (!text) return;
    void run(async () => {
      onDone(await commentAlarm(alarm.alarmId, text));
      setNote('');
    });
  };
  return (
    <form className="alarm-comment" onSubmit={submit}>
      <input
        aria-label={t('alarms.comment.label')}
        data-testid="alarm-comment-input"
        value={note}
        maxLength={1000}
        placeholder={t('alarms.comment.placeholder')}
        onChange={(e) => setNote(e.target.value)}
      />
      <button type="submit" className="button button--small" data-testid="alarm-comment-submit" disabled={busy || !note.trim()}>
        {t('alarms.comment.submit')}
      </button>
      {error ? <ErrorText error={error} testId="alarm-action-error" /> : null}
    </form>
  );
}

/**
 * Who can take the alarm's work: guards and technicians with a login (dispatch needs
 * someone to receive it) who cover its building. Those whose trades fit the work come
 * first; the hub has the last word on suitability and says why when it refuses.
 */
export function dispatchCandidates(staff: readonly StaffMember[], alarm: AlarmView, kind: AlarmCategory = alarm.category): { suited: StaffMember[]; others: StaffMember[] } {
  const fitsTrade = (s: StaffMember) => (kind === 'security' ? s.trades.includes('security') : s.trades.some((trade) => trade !== 'security'));
  const fitsBuilding = (s: StaffMember) => s.buildings.length === 0 || (alarm.buildingId !== null && s.buildings.includes(alarm.buildingId));
  const people = staff
    .filter((s) => s.active && s.userId !== null && (s.role === 'guard' || s.role === 'technician') && fitsBuilding(s))
    .sort((a, b) => Number(b.onShift) - Number(a.onShift) || a.openWorkload - b.openWorkload || a.name.localeCompare(b.name));
  return { suited: people.filter(fitsTrade), others: people.filter((s) => !fitsTrade(s)) };
}

interface DispatchFormProps {
  alarm: AlarmView;
  /** Guards cannot take over maintenance work orders: for those alarms they send a guard to check on site instead. */
  role: Role;
  /** The alarm's work order as the hub shows it to this user, if loaded. */
  workOrder: WorkOrderBrief | null;
  onDone: (message: string) => void;
  onCancel: () => void;
}

/**
 * Dispatch: (re)assign the alarm's work order to a guard or technician, or let the
 * hub's dispatcher choose; when the alarm has none (its rule opens none), open one
 * by hand for its device and note that on the alarm's log. A guard facing a
 * maintenance alarm (whose work order belongs to maintenance) opens a security work
 * order instead: someone goes to look while the technicians do their part.
 */
export function DispatchForm({ alarm, role, workOrder, onDone, onCancel }: DispatchFormProps) {
  const t = useT();
  const id = useId();
  const [staff, setStaff] = useState<StaffMember[] | null>(null);
  const [staffError, setStaffError] = useState<ApiError | null>(null);
  const [staffId, setStaffId] = useState<number | ''>('');
  const { busy, error, run } = useSubmit();

  useEffect(() => {
    const controller = new AbortController();
    listStaff({ building: alarm.buildingId ?? undefined }, controller.signal).then(setStaff, (cause: unknown) => {
      if (!isAbortError(cause)) setStaffError(cause instanceof ApiError ? cause : new ApiError(0, CLIENT_ERR_NETWORK, String(cause)));
    });
    return () => controller.abort();
  }, [alarm.buildingId]);

  const securityCheck = role === 'guard' && alarm.category === 'maintenance';
  const kind: AlarmCategory = securityCheck ? 'security' : alarm.category;
  const existingId = securityCheck ? null : alarm.workOrderId;
  const candidates = useMemo(() => dispatchCandidates(staff ?? [], alarm, kind), [staff, alarm, kind]);
  const currentAssignee = workOrder?.assignee?.id ?? null;
  const unchanged = staffId !== '' && staffId === currentAssignee;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      const chosen = staffId === '' ? undefined : staffId;
      let result: WorkOrderBrief;
      if (existingId !== null) {
        result = await assignWorkOrder(existingId, chosen);
      } else {
        result = await createWorkOrder({
          kind,
          title: securityCheck ? t('alarms.dispatch.checkTitle', { device: alarm.deviceName }) : `${alarm.ruleName}: ${alarm.deviceName}`,
          description: securityCheck ? t('alarms.dispatch.checkDescription', { id: alarm.alarmId, message: alarm.message ?? alarm.ruleName }) : (alarm.message ?? undefined),
          priority: alarm.priority,
          deviceId: alarm.deviceId,
          buildingId: alarm.buildingId ?? undefined,
        });
        // Opening dispatches automatically; move it only if the guard picked someone else.
        if (chosen !== undefined && result.assignee?.id !== chosen) result = await assignWorkOrder(result.id, chosen);
        await commentAlarm(alarm.alarmId, t('alarms.dispatch.openedNote', { number: result.number }));
      }
      onDone(result.assignee ? t('alarms.dispatch.assigned', { number: result.number, name: result.assignee.name }) : t('alarms.dispatch.opened', { number: result.number }));
    });
  };

  return (
    <form className="alarm-form" data-testid="alarm-dispatch-form" onSubmit={submit}>
      <p className="alarm-form__lead">
        {securityCheck
          ? t('alarms.dispatch.securityCheck')
          : alarm.workOrderNumber
            ? t('alarms.dispatch.existing', { number: alarm.workOrderNumber })
            : t('alarms.dispatch.none')}
      </p>
      <div className="field">
        <label htmlFor={`${id}-s`}>{t('alarms.dispatch.assignTo')}</label>
        <select
          id={`${id}-s`}
          data-testid="alarm-dispatch-staff"
          value={staffId}
          disabled={!staff}
          onChange={(e) => setStaffId(e.target.value === '' ? '' : Number(e.target.value))}
        >
          <option value="">{t('alarms.dispatch.automatic')}</option>
          {(['suited', 'others'] as const).map((group) =>
            candidates[group].length ? (
              <optgroup key={group} label={group === 'suited' ? t('alarms.dispatch.suited') : t('alarms.dispatch.others')}>
                {candidates[group].map((s) => (
                  <option key={s.id} value={s.id} data-current={s.id === currentAssignee}>
                    {t('alarms.dispatch.candidate', {
                      name: s.name,
                      role: s.position ?? s.role ?? '',
                      shift: s.onShift ? t('alarms.dispatch.onShift') : t('alarms.dispatch.offShift'),
                      load: s.openWorkload,
                    })}
                    {s.id === currentAssignee ? ` ${t('alarms.dispatch.current')}` : ''}
                  </option>
                ))}
              </optgroup>
            ) : null,
          )}
        </select>
        {staffError ? <ErrorText error={staffError} /> : null}
      </div>
      {error ? <ErrorText error={error} testId="alarm-action-error" /> : null}
      <div className="button-row">
        <button type="submit" className="button button--primary" data-testid="alarm-dispatch-submit" disabled={busy || unchanged}>
          {existingId !== null ? t('alarms.dispatch.assign') : t('alarms.dispatch.create')}
        </button>
        <button type="button" className="button button--quiet" onClick={onCancel}>
          {t('alarms.cancel')}
        </button>
      </div>
    </form>
  );
}
