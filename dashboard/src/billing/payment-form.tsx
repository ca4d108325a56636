import { useId, useState, type FormEvent } from 'react';
import { isApiError, type ApiError } from '../api/client.ts';
import { useT } from '../i18n/i18n-context.tsx';
import { ErrorText } from '../shell/error-text.tsx';
import { receiptPdfUrl, recordPayment, type PaymentMethod, type PaymentResult } from './billing-api.ts';
import { newIdempotencyKey } from './billing-filters.ts';
import { Money } from './billing-parts.tsx';
import { methodLabel } from './labels.ts';
import { fenToYuanText, parseYuanToFen } from './money.ts';

/**
 * Records a payment for one unit. The idempotency key is made once when the form opens
 * (mount it with a `key` to start a new one): a double click, or a retry after a lost
 * answer, sends the same key and the hub records the payment once.
 */
export function PaymentForm({ unitId, methods, suggestedFen, onRecorded }: { unitId: number; methods: readonly PaymentMethod[]; suggestedFen?: number; onRecorded: (result: PaymentResult) => void }) {
  const t = useT();
  const ids = { amount: useId(), method: useId(), reference: useId(), note: useId(), amountError: useId() };
  const [idempotencyKey] = useState(newIdempotencyKey);
  const [amount, setAmount] = useState(suggestedFen && suggestedFen > 0 ? fenToYuanText(suggestedFen) : '');
  const [method, setMethod] = useState<PaymentMethod>(methods[0] ?? 'cash');
  const [reference, setReference] = useState('');
  const [note, setNote] = useState('');
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  const parsed = parseYuanToFen(amount);
  // Bank transfers and app payments are traced by their reference; cash and card need none.
  const needsReference = method === 'bank_transfer' || method === 'wechat' || method === 'alipay';
  const referenceMissing = needsReference && reference.trim() === '';

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    if (!parsed.ok || referenceMissing || busy) return;
    setBusy(true);
    setError(null);
    try {
      const result = await recordPayment({ unitId, amountFen: parsed.fen, method, reference: reference.trim() || undefined, note: note.trim() || undefined, idempotencyKey });
      onRecorded(result);
    } catch (cause) {
      if (isApiError(cause)) setError(cause);
      setBusy(false);
    }
  };

  return (
    <form className="records-form billing-pay-form" data-testid="payment-form" onSubmit={submit} noValidate>
      <div className="records-form__row">
        <div className="field">
          <label htmlFor={ids.amount}>{t('billing.pay.amount')}</label>
          <span className="billing-amount-input">
            <span aria-hidden="true">¥</span>
            <input
              id={ids.amount}
              inputMode="decimal"
              autoComplete="off"
              data-testid="payment-amount"
              value={amount}
              placeholder="0.00"
              aria-invalid={touched && !parsed.ok}
              aria-describedby={ids.amountError}
              onChange={(e) => setAmount(e.target.value)}
              onBlur={() => setTouched(true)}
            />
          </span>
        </div>
        <div className="field">
          <label htmlFor={ids.method}>{t('billing.pay.method')}</label>
          <select id={ids.method} data-testid="payment-method" value={method} onChange={(e) => setMethod(e.target.value as PaymentMethod)}>
            {methods.map((m) => (
              <option key={m} value={m}>
                {methodLabel(t, m)}
              </option>
            ))}
          </select>
        </div>
        <div className="field field--grow">
          <label htmlFor={ids.reference}>{needsReference ? t('billing.pay.referenceRequired') : t('billing.pay.reference')}</label>
          <input id={ids.reference} data-testid="payment-reference" value={reference} maxLength={100} aria-invalid={touched && referenceMissing} onChange={(e) => setReference(e.target.value)} />
        </div>
      </div>
      <div className="field">
        <label htmlFor={ids.note}>{t('billing.pay.note')}</label>
        <input id={ids.note} data-testid="payment-note" value={note} maxLength={500} onChange={(e) => setNote(e.target.value)} />
      </div>
      <p id={ids.amountError} className="warning-text small" role="status" data-testid="payment-amount-error">
        {touched && !parsed.ok ? t(`billing.pay.error.${parsed.error}`) : touched && referenceMissing ? t('billing.pay.error.reference') : ''}
      </p>
      {parsed.ok ? (
        <p className="muted small" data-testid="payment-amount-preview">
          {t('billing.pay.willRecord')} <Money fen={parsed.fen} strong />
        </p>
      ) : null}
      {error ? <ErrorText error={error} /> : null}
      <div className="button-row">
        <button type="submit" className="button button--primary" data-testid="payment-submit" disabled={busy}>
          {busy ? t('billing.pay.submitting') : t('billing.pay.submit')}
        </button>
      </div>
    </form>
  );
}

/** What a payment did: its receipt (with the PDF), the bills it paid, the credit left over. */
export function PaymentResultCard({ result, billNumber, onAnother }: { result: PaymentResult; billNumber: (billId: number) => string; onAnother: () => void }) {
  const t = useT();
  const { receipt } = result;
  return (
    <div className="billing-result" data-testid="payment-result" data-payment-id={result.payment.id} data-receipt-id={receipt?.id} role="status">
      <p className="billing-result__title">
        {receipt ? t('billing.pay.recorded', { number: receipt.number }) : t('billing.pay.recordedNoReceipt')} <Money fen={result.payment.amountFen} strong />
      </p>
      {result.allocations.length ? (
        <ul className="billing-result__list" data-testid="payment-allocations">
          {result.allocations.map((a) => (
            <li key={a.billId}>
              {t('billing.pay.allocated', { bill: billNumber(a.billId) })} <Money fen={a.amountFen} />
            </li>
          ))}
        </ul>
      ) : null}
      {result.creditFen > 0 ? (
        <p className="small" data-testid="payment-credit">
          {t('billing.pay.credit')} <Money fen={result.creditFen} />
        </p>
      ) : null}
      <div className="button-row">
        {receipt ? (
          <a className="button button--small" href={receiptPdfUrl(receipt.id)} target="_blank" rel="noopener" data-testid="payment-receipt-pdf">
            {t('billing.receipt.pdf', { number: receipt.number })}
          </a>
        ) : null}
        <button type="button" className="button button--small" data-testid="payment-another" onClick={onAnother}>
          {t('billing.pay.another')}
        </button>
      </div>
    </div>
  );
}

/**
 * Taking a payment: the form, then what it paid off with the receipt. "Another payment"
 * brings back the form under a fresh key, so nothing typed for the last one stays.
 */
export function PaymentStep({
  unitId,
  methods,
  suggestedFen,
  billNumber,
  onRecorded,
}: {
  unitId: number;
  methods: readonly PaymentMethod[];
  suggestedFen?: number;
  billNumber: (billId: number) => string;
  onRecorded: () => void;
}) {
  const [result, setResult] = useState<PaymentResult | null>(null);
  const [formKey, setFormKey] = useState(0);
  return result ? (
    <PaymentResultCard
      result={result}
      billNumber={billNumber}
      onAnother={() => {
        setResult(null);
        setFormKey((k) => k + 1);
      }}
    />
  ) : (
    <PaymentForm
      key={formKey}
      unitId={unitId}
      methods={methods}
      suggestedFen={suggestedFen}
      onRecorded={(r) => {
        setResult(r);
        onRecorded();
      }}
    />
  );
}
