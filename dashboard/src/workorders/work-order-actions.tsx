import { useId, useState, type FormEvent, type ReactNode } from 'react';
import { ApiError, CLIENT_ERR_NETWORK } from '../api/client.ts';
import { listStaff, workOrderAction, type WorkOrder, type WorkOrderActionBody, type WorkOrderActionName, type WorkOrderOutcome } from '../api/hub-api.ts';
import { usePolled } from '../api/use-polled.ts';
import { useT, type Translate } from '../i18n/i18n-context.tsx';
import { ErrorText } from '../shell/error-text.tsx';
import { tradeLabel, unsuitableLabel } from './labels.ts';
import { canClaim, supervisorActionsFor, workerActionsFor } from './lifecycle.ts';
import { staffOptions } from './staff-choice.ts';

export type ActionMode = 'worker' | 'supervisor';
type Form = 'hold' | 'resolve' | 'assign' | 'cancel' | 'reopen' | null;

interface PartRow {
  key: number;
  code: string;
  qty: string;
}

/**
 * What can be done to a work order now, for the person looking: the assignee's steps
 * (accept, start, hold, resume, resolve with notes and parts) or a supervisor's
 * (dispatch/reassign, close, cancel, reopen). Only steps the lifecycle allows are offered.
 */
export function WorkOrderActions({
  workOrder,
  mode,
  onDone,
  onStale,
}: {
  workOrder: WorkOrder;
  mode: ActionMode;
  onDone: (outcome: WorkOrderOutcome) => void;
  /** The hub says the work order is not in the state shown: fetch it again. */
  onStale: () => void;
}) {
  const t = useT();
  const [form, setForm] = useState<Form>(null);
  const [busy, setBusy] = useState<WorkOrderActionName | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  /** The step the hub refused, to word its refusal (a lost claim reads differently from a refused assignment). */
  const [failed, setFailed] = useState<WorkOrderActionName | null>(null);

  const run = async (action: WorkOrderActionName, body: WorkOrderActionBody = {}): Promise<boolean> => {
    setBusy(action);
    setError(null);
    try {
      const outcome = await workOrderAction(workOrder.id, action, body);
      setForm(null);
      onDone(outcome);
      return true;
    } catch (cause) {
      const failure = cause instanceof ApiError ? cause : new ApiError(0, CLIENT_ERR_NETWORK, String(cause));
      setError(failure);
      setFailed(action);
      if (failure.code === 'WARDEN_ERR_INVALID_TRANSITION') onStale();
      return false;
    } finally {
      setBusy(null);
    }
  };

  const toggle = (next: Exclude<Form, null>) => {
    setError(null);
    setForm((current) => (current === next ? null : next));
  };

  const button = (action: WorkOrderActionName, label: string, onClick: () => void, primary = false) => (
    <button
      key={action}
      type="button"
      className={`button${primary ? ' button--primary' : ''}`}
      data-testid={`wo-${action}`}
      disabled={busy !== null}
      aria-expanded={['hold', 'resolve', 'assign', 'cancel', 'reopen'].includes(action) ? form === action : undefined}
      onClick={onClick}
    >
      {busy === action ? t('wo.action.working') : label}
    </button>
  );

  let buttons: ReactNode[] = [];
  let note: ReactNode = null;
  if (mode === 'worker') {
    // A technician sees their own work orders and unassigned ones of their trades: the
    // latter they may take themself (claim), the former they work through.
    if (workOrder.assignee === null) {
      if (canClaim(workOrder)) {
        note = <p className="notice small">{t('wo.action.claimHint')}</p>;
        buttons = [button('claim', t('wo.action.claim'), () => void run('claim'), true)];
      } else {
        note = <p className="notice small">{t('wo.action.awaitingDispatch')}</p>;
      }
    } else {
      buttons = workerActionsFor(workOrder.status).map((action) => {
        switch (action) {
          case 'accept':
            return button('accept', t('wo.action.accept'), () => void run('accept'), true);
          case 'start':
            return button('start', t('wo.action.start'), () => void run('start'), true);
          case 'hold':
            return button('hold', t('wo.action.hold'), () => toggle('hold'));
          case 'resume':
            return button('resume', t('wo.action.resume'), () => void run('resume'), true);
          case 'resolve':
            return button('resolve', t('wo.action.resolve'), () => toggle('resolve'), workOrder.status === 'in_progress');
        }
      });
    }
  } else {
    buttons = supervisorActionsFor(workOrder.status).map((action) => {
      switch (action) {
        case 'assign':
          return button('assign', workOrder.assignee ? t('wo.action.reassign') : t('wo.action.assign'), () => toggle('assign'), workOrder.status === 'open');
        case 'close':
          return button('close', t('wo.action.close'), () => void run('close'), true);
        case 'cancel':
          return button('cancel', t('wo.action.cancel'), () => toggle('cancel'));
        case 'reopen':
          return button('reopen', t('wo.action.reopen'), () => toggle('reopen'));
      }
    });
  }

  // Finished work with nothing left to do for this viewer: no empty box.
  if (buttons.length === 0 && note === null && form === null && error === null) return null;

  return (
    <section className="wo-section wo-actions" aria-label={t('wo.action.title')} data-testid="wo-actions">
      {note}
      {buttons.length ? <div className="button-row">{buttons}</div> : null}
      {form === 'hold' ? (
        <ReasonForm testId="wo-hold" label={t('wo.action.holdReason')} submit={t('wo.action.hold')} required busy={busy !== null} onCancel={() => setForm(null)} onSubmit={(reason) => run('hold', { reason })} />
      ) : null}
      {form === 'cancel' ? (
        <ReasonForm testId="wo-cancel" label={t('wo.action.cancelReason')} submit={t('wo.action.cancelSubmit')} required busy={busy !== null} onCancel={() => setForm(null)} onSubmit={(reason) => run('cancel', { reason })} />
      ) : null}
      {form === 'reopen' ? (
        <ReasonForm
          testId="wo-reopen"
          label={t('wo.action.reopenReason')}
          submit={t('wo.action.reopen')}
          required={false}
          busy={busy !== null}
          onCancel={() => setForm(null)}
          onSubmit={(reason) => run('reopen', reason ? { reason } : {})}
        />
      ) : null}
      {form === 'resolve' ? <ResolveForm busy={busy !== null} onCancel={() => setForm(null)} onSubmit={(body) => run('resolve', body)} /> : null}
      {form === 'assign' ? <AssignForm workOrder={workOrder} busy={busy !== null} onCancel={() => setForm(null)} onSubmit={(body) => run('assign', body)} /> : null}
      {error ? (
        <p className="form__error" data-testid="wo-action-error" data-code={error.code}>
          {actionErrorText(t, error, failed) ?? <ErrorText error={error} />}
        </p>
      ) : null}
    </section>
  );
}

/** The refusals a user can act on, in their language; anything else as the hub words it. */
function actionErrorText(t: Translate, error: ApiError, action: WorkOrderActionName | null): string | null {
  switch (error.code) {
    case 'WARDEN_ERR_NO_CANDIDATE':
      return t('wo.error.noCandidate');
    case 'WARDEN_ERR_INVALID_TRANSITION':
      return t('wo.error.invalidTransition');
    case 'WARDEN_ERR_UNSUITABLE_ASSIGNEE': {
      const reason = (error.details as { reason?: unknown } | undefined)?.reason;
      return t(action === 'claim' ? 'wo.error.claimUnsuitable' : 'wo.error.unsuitable', { reason: typeof reason === 'string' ? reason : error.message });
    }
    case 'WARDEN_ERR_CONFLICT': {
      // A claim lost to someone quicker: the hub names who has the job now.
      const name = (error.details as { assignee?: unknown } | undefined)?.assignee;
      return action === 'claim' && typeof name === 'string' ? t('wo.error.claimTaken', { name }) : null;
    }
    default:
      return null;
  }
}

function ReasonForm(props: { testId: string; label: string; submit: string; required: boolean; busy: boolean; onSubmit: (reason: string) => Promise<boolean>; onCancel: () => void }) {
  const t = useT();
  const id = useId();
  const [reason, setReason] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (props.required && !reason.trim()) return;
    void props.onSubmit(reason.trim());
  };
  return (
    <form className="wo-form" onSubmit={submit}>
      <div className="field">
        <label htmlFor={id}>{props.label}</label>
        <input id={id} data-testid={`${props.testId}-reason`} value={reason} maxLength={2000} required={props.required} autoFocus onChange={(e) => setReason(e.target.value)} />
      </div>
      <div className="button-row">
        <button type="submit" className="button button--primary" data-testid={`${props.testId}-submit`} disabled={props.busy || (props.required && !reason.trim())}>
          {props.submit}
        </button>
        <button type="button" className="button" onClick={props.onCancel}>
          {t('wo.action.back')}
        </button>
      </div>
    </form>
  );
}

let nextPartKey = 1;
const emptyPart = (): PartRow => ({ key: nextPartKey++, code: '', qty: '1' });

function ResolveForm({ busy, onSubmit, onCancel }: { busy: boolean; onSubmit: (body: WorkOrderActionBody) => Promise<boolean>; onCancel: () => void }) {
  const t = useT();
  const id = useId();
  const [resolution, setResolution] = useState('');
  const [parts, setParts] = useState<PartRow[]>(() => [emptyPart()]);
  const filled = parts.filter((p) => p.code.trim() !== '');
  const badQty = filled.some((p) => !/^\d+$/.test(p.qty.trim()) || Number(p.qty) < 1);

  const setPart = (key: number, change: Partial<PartRow>) => setParts((rows) => rows.map((row) => (row.key === key ? { ...row, ...change } : row)));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!resolution.trim() || badQty) return;
    const partsUsed = filled.map((p) => ({ partCode: p.code.trim(), qty: Number(p.qty) }));
    void onSubmit({ resolution: resolution.trim(), ...(partsUsed.length ? { partsUsed } : {}) });
  };

  return (
    <form className="wo-form" onSubmit={submit} data-testid="wo-resolve-form">
      <div className="field">
        <label htmlFor={id}>{t('wo.resolve.notes')}</label>
        <textarea
          id={id}
          data-testid="wo-resolution-input"
          rows={3}
          maxLength={2000}
          required
          autoFocus
          placeholder={t('wo.resolve.notesPlaceholder')}
          value={resolution}
          onChange={(e) => setResolution(e.target.value)}
        />
      </div>
      <fieldset className="wo-parts">
        <legend>{t('wo.resolve.parts')}</legend>
        {parts.map((part, index) => (
          <div className="wo-parts__row" key={part.key}>
            <input
              aria-label={t('wo.resolve.partCode', { n: index + 1 })}
              data-testid="wo-part-code"
              placeholder={t('wo.resolve.partCodePlaceholder')}
              maxLength={64}
              value={part.code}
              onChange={(e) => setPart(part.key, { code: e.target.value })}
            />
            <input
              aria-label={t('wo.resolve.partQty', { n: index + 1 })}
              data-testid="wo-part-qty"
              type="number"
              min={1}
              step={1}
              inputMode="numeric"
              value={part.qty}
              onChange={(e) => setPart(part.key, { qty: e.target.value })}
            />
            <button
              type="button"
              className="button button--small"
              aria-label={t('wo.resolve.removePart', { n: index + 1 })}
              disabled={parts.length === 1 && part.code === ''}
              onClick={() => setParts((rows) => (rows.length === 1 ? [emptyPart()] : rows.filter((row) => row.key !== part.key)))}
            >
              ×
            </button>
          </div>
        ))}
        <button type="button" className="link-button small" data-testid="wo-part-add" onClick={() => setParts((rows) => [...rows, emptyPart()])}>
          + {t('wo.resolve.addPart')}
        </button>
        {badQty ? <p className="small warning-text">{t('wo.resolve.badQty')}</p> : null}
      </fieldset>
      <div className="button-row">
        <button type="submit" className="button button--primary" data-testid="wo-resolve-submit" disabled={busy || !resolution.trim() || badQty}>
          {t('wo.resolve.submit')}
        </button>
        <button type="button" className="button" onClick={onCancel}>
          {t('wo.action.back')}
        </button>
      </div>
    </form>
  );
}

function AssignForm({ workOrder, busy, onSubmit, onCancel }: { workOrder: WorkOrder; busy: boolean; onSubmit: (body: WorkOrderActionBody) => Promise<boolean>; onCancel: () => void }) {
  const t = useT();
  const staffId = useId();
  const noteId = useId();
  const staff = usePolled('wo-staff', (signal) => listStaff({}, signal), 30_000);
  const options = staffOptions(workOrder, staff.data ?? []);
  const firstSuitable = options.find((o) => o.unsuitable === null && o.person.id !== workOrder.assignee?.id);
  const [choice, setChoice] = useState<string | null>(null);
  const [note, setNote] = useState('');
  const value = choice ?? (firstSuitable ? String(firstSuitable.person.id) : 'auto');

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void onSubmit({ ...(value === 'auto' ? {} : { staffId: Number(value) }), ...(note.trim() ? { note: note.trim() } : {}) });
  };

  return (
    <form className="wo-form" onSubmit={submit} data-testid="wo-assign-form">
      <div className="field">
        <label htmlFor={staffId}>{t('wo.assign.person')}</label>
        <select id={staffId} data-testid="wo-assign-staff" value={value} onChange={(e) => setChoice(e.target.value)}>
          <option value="auto">{t('wo.assign.auto')}</option>
          {options.map(({ person, unsuitable }) => {
            const current = person.id === workOrder.assignee?.id;
            const facts = [
              person.trades.map((trade) => tradeLabel(t, trade)).join('/'),
              person.onShift ? t('wo.staff.onShift') : t('wo.staff.offShift'),
              t('wo.staff.workload', { n: person.openWorkload }),
            ].join(' · ');
            const why = current ? t('wo.assign.current') : unsuitable ? unsuitableLabel(t, unsuitable) : null;
            return (
              <option key={person.id} value={person.id} disabled={unsuitable !== null || current} data-on-shift={person.onShift}>
                {`${person.name} — ${facts}${why ? ` (${why})` : ''}`}
              </option>
            );
          })}
        </select>
        {staff.error ? <ErrorText error={staff.error} /> : null}
      </div>
      {value !== 'auto' ? <StaffCard id={Number(value)} options={options} /> : <p className="muted small">{t('wo.assign.autoHint')}</p>}
      <div className="field">
        <label htmlFor={noteId}>{t('wo.assign.note')}</label>
        <input id={noteId} maxLength={2000} value={note} onChange={(e) => setNote(e.target.value)} />
      </div>
      <div className="button-row">
        <button type="submit" className="button button--primary" data-testid="wo-assign-submit" disabled={busy}>
          {workOrder.assignee ? t('wo.action.reassign') : t('wo.action.assign')}
        </button>
        <button type="button" className="button" onClick={onCancel}>
          {t('wo.action.back')}
        </button>
      </div>
    </form>
  );
}

function StaffCard({ id, options }: { id: number; options: ReturnType<typeof staffOptions> }) {
  const t = useT();
  const option = options.find((o) => o.person.id === id);
  if (!option) return null;
  const { person } = option;
  return (
    <div className="wo-staff-card" data-testid="wo-assign-card">
      <strong>{person.name}</strong>
      {person.position ? <span className="muted small">{person.position}</span> : null}
      <span className={`badge badge--${person.onShift ? 'ok' : 'offline'}`}>{person.onShift ? t('wo.staff.onShift') : t('wo.staff.offShift')}</span>
      <span className="small">{t('wo.staff.workload', { n: person.openWorkload })}</span>
      <span className="small muted">{person.trades.map((trade) => tradeLabel(t, trade)).join(' · ')}</span>
    </div>
  );
}

/** Adds a note to the timeline; allowed in every state, to everyone who can see the work order. */
export function CommentForm({ workOrder, onDone }: { workOrder: WorkOrder; onDone: (outcome: WorkOrderOutcome) => void }) {
  const t = useT();
  const id = useId();
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!text.trim()) return;
    setBusy(true);
    setError(null);
    try {
      onDone(await workOrderAction(workOrder.id, 'comment', { text: text.trim() }));
      setText('');
    } catch (cause) {
      setError(cause instanceof ApiError ? cause : new ApiError(0, CLIENT_ERR_NETWORK, String(cause)));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="wo-comment" onSubmit={(e) => void submit(e)}>
      <label htmlFor={id} className="visually-hidden">
        {t('wo.comment.label')}
      </label>
      <textarea id={id} data-testid="wo-comment-input" rows={2} maxLength={2000} placeholder={t('wo.comment.placeholder')} value={text} onChange={(e) => setText(e.target.value)} />
      <button type="submit" className="button" data-testid="wo-comment-submit" disabled={busy || !text.trim()}>
        {busy ? t('wo.action.working') : t('wo.comment.submit')}
      </button>
      {error ? <ErrorText error={error} /> : null}
    </form>
  );
}
