import { useId, useState, type FormEvent } from 'react';
import { useSubmission } from '../api/use-submission.ts';
import { searchUnits, type Unit } from '../api/hub-api.ts';
import { usePolled } from '../api/use-polled.ts';
import { useT } from '../i18n/i18n-context.tsx';
import { useDebounced } from '../records/use-debounced.ts';
import { ErrorText } from '../shell/error-text.tsx';
import { useBuildingNames } from '../workorders/use-building-names.ts';
import { emptyIntake, intakeProblems, type IntakeForm, type IntakeProblem } from './request-flow.ts';
import { CategoryOptions, UrgencyOptions } from './request-options.tsx';
import { createServiceRequest, type RequestCategory, type RequestUrgency } from './service-api.ts';

/**
 * A clerk takes a request on the phone: which unit (found by its number or an
 * occupant's name) or, for common parts, which building; who called (an occupant of
 * the unit, or a name); what and how urgent. The new request opens for classification.
 */
export function RequestIntake({ onCreated }: { onCreated: (id: number) => void }) {
  const t = useT();
  const ids = { unit: useId(), building: useId(), caller: useId(), contact: useId(), location: useId(), category: useId(), urgency: useId(), description: useId() };
  const buildings = useBuildingNames();
  const [form, setForm] = useState<IntakeForm>(emptyIntake);
  const [unit, setUnit] = useState<Unit | null>(null);
  const [callerId, setCallerId] = useState('');
  const [search, setSearch] = useState('');
  const [problems, setProblems] = useState<IntakeProblem[]>([]);
  const { busy, error, send } = useSubmission();
  const typed = useDebounced(search.trim(), 300);
  const matches = usePolled(!unit && typed ? `intake-units:${typed}` : null, (signal) => searchUnits({ q: typed, limit: 8 }, signal), 0);

  const set = (change: Partial<IntakeForm>) => setForm((f) => ({ ...f, ...change }));
  const choose = (u: Unit | null) => {
    setUnit(u);
    setCallerId('');
    set({ unitId: u ? String(u.id) : '', buildingId: u ? u.buildingId : '' });
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const found = intakeProblems(form);
    setProblems(found);
    if (found.length) return;
    await send(async () => {
      const caller = unit?.occupants.find((o) => String(o.ownerId) === callerId);
      const created = await createServiceRequest({
        channel: 'phone',
        unitId: unit ? unit.id : undefined,
        buildingId: unit ? undefined : form.buildingId,
        ownerId: caller?.ownerId,
        contactName: caller ? caller.name : form.contactName.trim() || undefined,
        location: form.location.trim() || undefined,
        category: form.category as RequestCategory,
        urgency: (form.urgency || undefined) as RequestUrgency | undefined,
        description: form.description.trim(),
      });
      onCreated(created.id);
    });
  };

  const invalid = (p: IntakeProblem) => problems.includes(p);
  return (
    <form className="card sr-intake" data-testid="request-intake" onSubmit={submit} noValidate>
      <h2 className="card__title">{t('service.intake.title')}</h2>
      <p className="muted small">{t('service.intake.about')}</p>

      <fieldset className="sr-intake__group">
        <legend>{t('service.intake.where')}</legend>
        {unit ? (
          <p className="sr-intake__chosen" data-testid="request-intake-unit-chosen">
            <strong>{t('service.detail.unit', { number: unit.number })}</strong> · {unit.buildingName}
            <button type="button" className="link-button small" onClick={() => choose(null)}>
              {t('service.intake.changeUnit')}
            </button>
          </p>
        ) : (
          <div className="sr-form__row">
            <div className="field field--grow">
              <label htmlFor={ids.unit}>{t('service.intake.findUnit')}</label>
              <input id={ids.unit} type="search" data-testid="request-intake-unit" autoComplete="off" value={search} aria-invalid={invalid('where')} onChange={(e) => setSearch(e.target.value)} />
              <ul className="sr-intake__matches">
                {(matches.data?.units ?? []).map((u) => (
                  <li key={u.id}>
                    <button type="button" className="link-button" data-testid="request-intake-unit-match" data-unit-id={u.id} onClick={() => choose(u)}>
                      {u.buildingName} · {u.number}
                      {u.occupants.length ? <span className="muted small"> ({u.occupants.map((o) => o.name).join(', ')})</span> : null}
                    </button>
                  </li>
                ))}
              </ul>
              {matches.data && matches.data.units.length === 0 ? <p className="muted small">{t('service.intake.noUnit')}</p> : null}
            </div>
            <div className="field">
              <label htmlFor={ids.building}>{t('service.intake.orBuilding')}</label>
              <select id={ids.building} data-testid="request-intake-building" value={form.buildingId} aria-invalid={invalid('where')} onChange={(e) => set({ buildingId: e.target.value })}>
                <option value="">—</option>
                {buildings.ids.map((id) => (
                  <option key={id} value={id}>
                    {buildings.label(id)}
                  </option>
                ))}
              </select>
            </div>
          </div>
        )}
        {invalid('where') ? <p className="warning-text small">{t('service.intake.needWhere')}</p> : null}
        <div className="field">
          <label htmlFor={ids.location}>{t('service.event.location')}</label>
          <input id={ids.location} data-testid="request-intake-location" value={form.location} maxLength={500} placeholder={t('service.intake.locationHint')} onChange={(e) => set({ location: e.target.value })} />
        </div>
      </fieldset>

      <fieldset className="sr-intake__group">
        <legend>{t('service.intake.caller')}</legend>
        <div className="sr-form__row">
          {unit && unit.occupants.length ? (
            <div className="field">
              <label htmlFor={ids.caller}>{t('service.intake.occupant')}</label>
              <select id={ids.caller} data-testid="request-intake-caller" value={callerId} onChange={(e) => setCallerId(e.target.value)}>
                <option value="">{t('service.intake.someoneElse')}</option>
                {unit.occupants.map((o) => (
                  <option key={o.ownerId} value={o.ownerId}>
                    {o.name}
                  </option>
                ))}
              </select>
            </div>
          ) : null}
          {callerId === '' ? (
            <div className="field field--grow">
              <label htmlFor={ids.contact}>{t('service.detail.contact')}</label>
              <input id={ids.contact} data-testid="request-intake-contact" value={form.contactName} maxLength={200} onChange={(e) => set({ contactName: e.target.value })} />
            </div>
          ) : null}
        </div>
      </fieldset>

      <fieldset className="sr-intake__group">
        <legend>{t('service.intake.what')}</legend>
        <div className="sr-form__row">
          <div className="field">
            <label htmlFor={ids.category}>{t('service.col.category')}</label>
            <select id={ids.category} data-testid="request-intake-category" value={form.category} aria-invalid={invalid('category')} onChange={(e) => set({ category: e.target.value })}>
              <option value="">—</option>
              <CategoryOptions />
            </select>
          </div>
          <div className="field">
            <label htmlFor={ids.urgency}>{t('service.col.urgency')}</label>
            <select id={ids.urgency} data-testid="request-intake-urgency" value={form.urgency} onChange={(e) => set({ urgency: e.target.value })}>
              <option value="">{t('service.intake.urgencyDefault')}</option>
              <UrgencyOptions />
            </select>
          </div>
        </div>
        {invalid('category') ? <p className="warning-text small">{t('service.intake.needCategory')}</p> : null}
        <div className="field">
          <label htmlFor={ids.description}>{t('service.intake.description')}</label>
          <textarea id={ids.description} data-testid="request-intake-description" rows={3} maxLength={4000} value={form.description} aria-invalid={invalid('description')} onChange={(e) => set({ description: e.target.value })} />
        </div>
        {invalid('description') ? <p className="warning-text small">{t('service.intake.needDescription')}</p> : null}
      </fieldset>

      <div className="button-row">
        <button type="submit" className="button button--primary" data-testid="request-intake-submit" disabled={busy}>
          {t('service.intake.submit')}
        </button>
      </div>
      {error ? <ErrorText error={error} /> : null}
    </form>
  );
}
