import { useState } from 'preact/hooks';
import { newIdempotencyKey } from '../api/client';
import { items as itemsApi } from '../api/endpoints';
import { ApiError, describeError } from '../api/problem';
import { type AdjustmentReason, type Item, type Movement, REASONS, type Reason } from '../api/types';
import { Field, Select } from '../components/Field';
import { Notice } from '../components/Notice';
import { formatNumber, parseWhole, signed } from '../lib/format';
import { useDraft } from '../state/drafts';

export const REASON_LABELS: Record<Reason, string> = {
  received: 'Received (delivery)',
  sold: 'Sold',
  returned: 'Returned by customer',
  damaged: 'Damaged',
  lost: 'Lost or stolen',
  correction: 'Count correction',
  opening: 'Opening stock',
  import: 'Spreadsheet import',
  count: 'Stock count',
};

const OUTGOING = new Set<AdjustmentReason>(['sold', 'damaged', 'lost']);

interface AdjustDraft {
  amount: string;
  reason: AdjustmentReason | '';
  note: string;
  /** Kept across retries of the same adjustment so it is applied once (Idempotency-Key). */
  key: string;
}

/**
 * Stock adjustment, built for a phone in the stock room: big −/+ steppers around the amount, the
 * reason decides the direction for the obvious cases (sold, damaged and lost take stock out), and
 * the resulting quantity is shown before saving.
 */
export function AdjustStock({ item, onAdjusted }: { item: Item; onAdjusted: (item: Item, m: Movement) => void }) {
  const draft = useDraft<AdjustDraft>(`adjust:${item.id}`, () => ({
    amount: '',
    reason: '',
    note: '',
    key: newIdempotencyKey(),
  }));
  const { amount, reason, note } = draft.value;
  const [errors, setErrors] = useState<{ amount?: string; reason?: string }>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const parsed = parseWhole(amount, { signed: true });
  const valid = parsed !== null && !Number.isNaN(parsed) && parsed !== 0;
  // Sold/damaged/lost always take stock out; a positive amount typed for them means "this many went out".
  const delta = valid ? (reason && OUTGOING.has(reason) ? -Math.abs(parsed) : parsed) : 0;
  const after = item.quantity + delta;

  const set = (patch: Partial<AdjustDraft>) => draft.set((d) => ({ ...d, ...patch }));
  const step = (by: number) => {
    const current = parsed !== null && !Number.isNaN(parsed) ? parsed : 0;
    const next = current + by;
    set({ amount: next === 0 ? '' : String(next) });
  };

  async function submit(e: Event) {
    e.preventDefault();
    setError(null);
    const local: typeof errors = {};
    if (!valid) local.amount = 'Enter a whole number other than 0, e.g. 5 or -3.';
    if (!reason) local.reason = 'Choose a reason.';
    setErrors(local);
    if (Object.keys(local).length > 0 || !reason) return;
    setBusy(true);
    try {
      const res = await itemsApi.adjust(item.id, delta, reason, note.trim() || undefined, draft.value.key);
      draft.reset({ amount: '', reason: '', note: '', key: newIdempotencyKey() });
      setErrors({});
      onAdjusted(res.item, res.movement);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'conflict') {
        setError(`Not enough stock: there are only ${formatNumber(item.quantity)} on hand. Reload to see the latest count.`);
      } else {
        setError(describeError(err));
      }
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="adjust" onSubmit={submit} aria-labelledby="adjust-title" noValidate>
      <h2 id="adjust-title">Adjust stock</h2>
      {error ? <Notice tone="error">{error}</Notice> : null}
      <Select
        label="Reason"
        name="reason"
        value={reason}
        placeholder="Choose a reason…"
        options={REASONS.map((r) => ({ value: r, label: REASON_LABELS[r] }))}
        onValue={(r) => set({ reason: r })}
        error={errors.reason}
        required
      />
      <div class="stepper">
        <button type="button" class="btn stepper__btn" onClick={() => step(-1)} aria-label="Decrease by one">
          −
        </button>
        <Field
          label="Change in quantity"
          name="delta"
          value={amount}
          onValue={(v) => set({ amount: v })}
          inputMode="numeric"
          error={errors.amount}
          hint="Positive adds stock, negative removes it."
          className="stepper__field"
          required
        />
        <button type="button" class="btn stepper__btn" onClick={() => step(1)} aria-label="Increase by one">
          +
        </button>
      </div>
      <Field label="Note" name="note" value={note} onValue={(v) => set({ note: v })} hint="Optional: order number, who counted…" />
      <p class="adjust__preview" aria-live="polite">
        {valid ? (
          <>
            {formatNumber(item.quantity)} <span aria-hidden="true">→</span>
            <span class="sr-only"> becomes </span> <strong>{formatNumber(after)}</strong> ({signed(delta)})
            {after < 0 ? <span class="error-text"> — more than you have</span> : null}
          </>
        ) : (
          <>On hand: {formatNumber(item.quantity)}</>
        )}
      </p>
      <button type="submit" class="btn btn--primary btn--block" disabled={busy}>
        {busy ? 'Saving…' : 'Save adjustment'}
      </button>
    </form>
  );
}
