-- Payments and the ledger: what 0013 leaves to the payment service.

-- The request a payment (or refund) was recorded from, as a digest of its canonical
-- body: a resubmission under the same idempotency key is the same request only if its
-- digest matches (else it is refused as a conflict, never recorded as a second payment).
ALTER TABLE payments ADD COLUMN request_hash text;

-- Refunds of a payment, to sum what was already paid back from it.
CREATE INDEX payments_refund_of_idx ON payments (refund_of) WHERE refund_of IS NOT NULL;
CREATE INDEX ledger_reverses_idx ON ledger_entries (reverses_id) WHERE reverses_id IS NOT NULL;

-- A reversal (a voided receipt's payment, a voided bill's charges) counts as the kind of
-- the entry it reverses: a bill whose only payment was voided shows paid 0 again, not
-- "paid 100, outstanding 100". Same columns as 0013's view.
CREATE OR REPLACE VIEW bill_balances AS
  SELECT b.id AS bill_id,
         b.total_fen,
         coalesce(sum(l.amount_fen), 0)::bigint AS outstanding_fen,
         coalesce(sum(l.amount_fen) FILTER (WHERE coalesce(r.kind, l.kind) = 'late_fee'), 0)::bigint AS late_fees_fen,
         -coalesce(sum(l.amount_fen) FILTER (WHERE coalesce(r.kind, l.kind) IN ('payment', 'credit_applied')), 0)::bigint AS paid_fen
    FROM bills b
    LEFT JOIN ledger_entries l ON l.bill_id = b.id
    LEFT JOIN ledger_entries r ON r.id = l.reverses_id
   GROUP BY b.id;
