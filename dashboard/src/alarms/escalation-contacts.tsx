import { useId, useMemo, useState } from 'react';
import { roles, type Role } from '../api/hub-api.ts';
import { usePolled } from '../api/use-polled.ts';
import { useSubmission } from '../api/use-submission.ts';
import { useUser } from '../auth/auth-context.tsx';
import { formatDateTime } from '../i18n/format.ts';
import { useLocale, useT, type Translate } from '../i18n/i18n-context.tsx';
import { DetailPanelHead, useTitleFocus } from '../shell/detail-panel.tsx';
import { describeError, ErrorBanner, ErrorText } from '../shell/error-text.tsx';
import { useBuildingNames } from '../workorders/use-building-names.ts';
import { clearEscalationTarget, listActiveStaffRecords, listEscalationTargets, setEscalationTarget, type EscalationTarget, type StaffRecord } from './escalation-api.ts';

function roleLabel(t: Translate, role: string): string {
  return (roles as readonly string[]).includes(role) ? t(`role.${role as Role}`) : role;
}

/**
 * The manager's and admin's escalation contacts (on the overview page): each building
 * they may see with its named contact, or "its managers" when none is named, and a
 * panel beside the list to name or remove one. Who may be named is the hub's decision
 * (role, enabled, allowed the building); its refusal is shown as it says it.
 */
export function EscalationContactsSection() {
  const t = useT();
  const { locale } = useLocale();
  const buildings = useBuildingNames();
  const targets = usePolled('escalation-targets', listEscalationTargets, 60_000);
  const staff = usePolled('escalation-staff', listActiveStaffRecords, 300_000);
  const [selected, setSelected] = useState<string | null>(null);
  const byBuilding = useMemo(() => new Map((targets.data ?? []).map((target) => [target.buildingId, target])), [targets.data]);
  const staffByUser = useMemo(() => new Map((staff.data ?? []).flatMap((s) => (s.user ? [[s.user.id, s] as const] : []))), [staff.data]);
  const titleId = useId();
  // The person's name from their staff record when there is one (a demo login's display name is just its role).
  const contactName = (target: EscalationTarget | undefined) => (target ? (staffByUser.get(target.userId)?.name ?? target.displayName) : null);

  return (
    <section className="escalation-contacts" data-testid="escalation-contacts" aria-labelledby={titleId}>
      <div className={`office-layout${selected !== null ? ' office-layout--with-detail' : ''}`}>
        <div className="office-main card">
          <div className="card__head">
            <h2 className="card__title" id={titleId}>
              {t('escalation.title')}
            </h2>
          </div>
          <p className="muted small">{t('escalation.about')}</p>
          <ErrorBanner error={targets.error} onRetry={targets.refresh} />
          <table className="data-table" data-testid="escalation-table" aria-busy={targets.loading}>
            <thead>
              <tr>
                <th scope="col">{t('escalation.col.building')}</th>
                <th scope="col">{t('escalation.col.contact')}</th>
                <th scope="col">{t('escalation.col.role')}</th>
                <th scope="col">{t('escalation.col.reach')}</th>
                <th scope="col">{t('escalation.col.updated')}</th>
                <th scope="col">
                  <span className="visually-hidden">{t('escalation.change')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {buildings.ids.map((id) => {
                const target = byBuilding.get(id);
                return (
                  <tr
                    key={id}
                    className={`data-row${selected === id ? ' is-selected' : ''}`}
                    data-testid="escalation-row"
                    data-building={id}
                    data-contact={target?.username ?? ''}
                    aria-selected={selected === id}
                  >
                    <td>{buildings.label(id)}</td>
                    <td data-testid="escalation-contact">{target ? contactName(target) : <span className="muted">{t('escalation.none')}</span>}</td>
                    <td>{target ? roleLabel(t, target.role) : null}</td>
                    <td className="small">{target && staff.data ? <Reach t={t} record={staffByUser.get(target.userId)} /> : null}</td>
                    <td className="small">{target ? t('escalation.updatedBy', { user: target.updatedBy, time: formatDateTime(locale, target.updatedAt) }) : null}</td>
                    <td>
                      <button type="button" className="button button--small" data-testid="escalation-change" onClick={() => setSelected(selected === id ? null : id)}>
                        {t('escalation.change')}
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          {targets.data && buildings.ids.length === 0 ? <p className="empty-note">{t('escalation.noBuildings')}</p> : null}
        </div>
        {selected !== null ? (
          <EscalationPanel
            key={selected}
            building={selected}
            buildingName={buildings.label(selected) ?? selected}
            target={byBuilding.get(selected)}
            contactName={contactName(byBuilding.get(selected))}
            staff={staff.data}
            staffError={staff.error ? describeError(t, staff.error) : null}
            onChanged={targets.refresh}
            onClose={() => setSelected(null)}
          />
        ) : null}
      </div>
    </section>
  );
}

/** Whether the escalation's SMS and e-mail can reach the contact: their staff record's phone and e-mail. */
function Reach({ t, record }: { t: Translate; record: StaffRecord | undefined }) {
  if (!record) return <span className="warning-text" data-testid="escalation-reach" data-phone="false" data-email="false">{t('escalation.reach.noRecord')}</span>;
  const phone = record.phone !== null && record.phone !== '';
  const email = record.email !== null && record.email !== '';
  return (
    <span className={phone && email ? undefined : 'warning-text'} data-testid="escalation-reach" data-phone={phone} data-email={email}>
      {phone ? t('escalation.reach.phone') : t('escalation.reach.noPhone')} · {email ? t('escalation.reach.email') : t('escalation.reach.noEmail')}
    </span>
  );
}

interface Choice {
  userId: number;
  label: string;
}

function EscalationPanel({
  building,
  buildingName,
  target,
  contactName,
  staff,
  staffError,
  onChanged,
  onClose,
}: {
  building: string;
  buildingName: string;
  target: EscalationTarget | undefined;
  contactName: string | null;
  staff: StaffRecord[] | undefined;
  staffError: string | null;
  onChanged: () => void;
  onClose: () => void;
}) {
  const t = useT();
  const me = useUser();
  const titleId = useId();
  const headingRef = useTitleFocus(true);
  const submission = useSubmission();
  const [choice, setChoice] = useState<string>(target ? String(target.userId) : '');
  const [done, setDone] = useState<'saved' | 'cleared' | null>(null);

  // Everyone with a staff login, and the signed-in manager themselves (managers rarely have a staff record).
  const choices = useMemo<Choice[]>(() => {
    const list: Choice[] = (staff ?? []).flatMap((s) => (s.user ? [{ userId: s.user.id, label: `${s.name} · ${roleLabel(t, s.user.role)} (${s.user.username})` }] : []));
    const myId = Number(me.id);
    if (!list.some((c) => c.userId === myId)) list.unshift({ userId: myId, label: t('escalation.panel.me', { name: `${me.displayName} · ${roleLabel(t, me.role)}` }) });
    if (target && !list.some((c) => c.userId === target.userId)) list.unshift({ userId: target.userId, label: `${target.displayName} · ${roleLabel(t, target.role)} (${target.username})` });
    return list;
  }, [staff, me, target, t]);

  const save = () =>
    submission.send(async () => {
      setDone(null);
      await setEscalationTarget(building, Number(choice));
      setDone('saved');
      onChanged();
    });
  const clear = () =>
    submission.send(async () => {
      setDone(null);
      await clearEscalationTarget(building);
      setChoice('');
      setDone('cleared');
      onChanged();
    });

  return (
    <aside className="office-detail escalation-panel card" data-testid="escalation-panel" data-building={building} aria-labelledby={titleId}>
      <DetailPanelHead eyebrow={t('escalation.panel.eyebrow')} title={buildingName} titleId={titleId} headingRef={headingRef} closeTestId="escalation-panel-close" onClose={onClose} />
      <p className="small">{target ? t('escalation.panel.current', { name: contactName ?? target.displayName }) : t('escalation.panel.currentNone')}</p>
      <form
        className="escalation-panel__form"
        onSubmit={(event) => {
          event.preventDefault();
          if (choice) void save();
        }}
      >
        <label className="field">
          <span>{t('escalation.panel.person')}</span>
          <select data-testid="escalation-person" value={choice} onChange={(e) => setChoice(e.target.value)} disabled={submission.busy}>
            <option value="">{t('escalation.panel.choose')}</option>
            {choices.map((c) => (
              <option key={c.userId} value={c.userId}>
                {c.label}
              </option>
            ))}
          </select>
        </label>
        <p className="muted small">{t('escalation.panel.hint')}</p>
        {staffError ? <p className="warning-text small">{t('escalation.panel.staffFailed', { message: staffError })}</p> : null}
        {submission.error ? <ErrorText error={submission.error} testId="escalation-error" /> : null}
        {done ? (
          <p className="small" role="status" data-testid="escalation-done" data-done={done}>
            {done === 'saved' ? t('escalation.panel.saved') : t('escalation.panel.cleared')}
          </p>
        ) : null}
        <div className="escalation-panel__actions">
          <button type="submit" className="button button--primary" data-testid="escalation-save" disabled={submission.busy || !choice || (target !== undefined && String(target.userId) === choice)}>
            {t('escalation.panel.save')}
          </button>
          {target ? (
            <button type="button" className="button" data-testid="escalation-clear" disabled={submission.busy} onClick={() => void clear()}>
              {t('escalation.panel.clear')}
            </button>
          ) : null}
        </div>
      </form>
    </aside>
  );
}
