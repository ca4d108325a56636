import { useT } from '../i18n/i18n-context.tsx';
import { categoryLabel, urgencyLabel } from './request-labels.ts';
import { requestCategories, requestUrgencies } from './service-api.ts';

/** The categories as a select's options, in the hub's order and the user's language. */
export function CategoryOptions() {
  const t = useT();
  return requestCategories.map((c) => (
    <option key={c} value={c}>
      {categoryLabel(t, c)}
    </option>
  ));
}

/** The urgencies as a select's options, in the hub's order and the user's language. */
export function UrgencyOptions() {
  const t = useT();
  return requestUrgencies.map((u) => (
    <option key={u} value={u}>
      {urgencyLabel(t, u)}
    </option>
  ));
}
