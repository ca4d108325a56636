import { useT } from '../i18n/i18n-context.tsx';
import { kpiRanges, type KpiRange } from './kpi-range.ts';

/** 24 h / 7 d / 30 d, as a radio group of buttons. */
export function KpiRangePicker({ value, onChange }: { value: KpiRange; onChange: (range: KpiRange) => void }) {
  const t = useT();
  return (
    <div className="segmented" role="radiogroup" aria-label={t('kpi.range.label')} data-testid="kpi-range" data-range={value}>
      {kpiRanges.map((range) => (
        <button
          key={range}
          type="button"
          role="radio"
          aria-checked={range === value}
          className="segmented__item"
          data-testid={`kpi-range-${range}`}
          onClick={() => onChange(range)}
        >
          {t(`kpi.range.${range}`)}
        </button>
      ))}
    </div>
  );
}
