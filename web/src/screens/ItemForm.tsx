import { useEffect, useState } from 'preact/hooks';
import { newIdempotencyKey } from '../api/client';
import { items as itemsApi } from '../api/endpoints';
import { ApiError, describeError, fieldErrorMap } from '../api/problem';
import type { Item } from '../api/types';
import { Field } from '../components/Field';
import { Notice } from '../components/Notice';
import { PageTitle } from '../components/PageTitle';
import { example } from '../lib/money';
import { href, navigate } from '../lib/router';
import { announce } from '../state/announcer';
import { useCurrency } from '../state/currency';
import { useDraft } from '../state/drafts';
import { ConflictPanel } from './ConflictPanel';
import { API_FIELD, diffPatch, EDITABLE, emptyValues, fromItem, type ItemFormValues, sameValue, toInput } from './itemFormValues';

type Errors = Partial<Record<keyof ItemFormValues, string>>;

interface Draft {
  values: ItemFormValues;
  /** The saved item the edit started from (null when creating): its `version` goes with the PATCH. */
  base: Item | null;
  /** One key per create, kept across retries so a retried POST cannot create the item twice. */
  key: string;
}

/** Create (`id` undefined) or edit an item. Input is kept as a draft until saved (see state/drafts). */
export function ItemForm({ id }: { id?: string }) {
  const editing = id !== undefined;
  const draft = useDraft<Draft>(editing ? `item-edit:${id}` : 'item-new', () => ({
    values: emptyValues(),
    base: null,
    key: newIdempotencyKey(),
  }));
  const { values, base } = draft.value;
  const currency = useCurrency();
  const [loading, setLoading] = useState(editing && !draft.restored);
  const [errors, setErrors] = useState<Errors>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [conflict, setConflict] = useState<Item | null>(null);
  const [info, setInfo] = useState<string | null>(draft.restored ? 'Your unsaved changes were kept. Review them and save.' : null);

  useEffect(() => {
    if (!editing || draft.restored || !id) return;
    itemsApi.get(id).then(
      ({ item }) => {
        draft.reset({ values: fromItem(item, currency), base: item, key: '' });
        setLoading(false);
      },
      (err) => {
        setError(describeError(err));
        setLoading(false);
      },
    );
  }, [id]);

  /** Typing into a field with an error re-checks it, so a stale error goes as soon as the field is valid. */
  const setField = (field: keyof ItemFormValues) => (value: string) => {
    draft.set((d) => ({ ...d, values: { ...d.values, [field]: value } }));
    if (errors[field] === undefined) return;
    const recheck = toInput({ ...values, [field]: value }, currency).errors[field];
    setErrors((current) => {
      const next = { ...current };
      if (recheck === undefined) delete next[field];
      else next[field] = recheck;
      return next;
    });
  };

  async function submit(e: Event) {
    e.preventDefault();
    setError(null);
    setInfo(null);
    const { input, errors: local } = toInput(values, currency);
    setErrors(local);
    if (Object.keys(local).length > 0) {
      setError('Please fix the highlighted fields.');
      return;
    }
    setBusy(true);
    try {
      let saved: Item;
      if (!editing) {
        saved = (await itemsApi.create(input, draft.value.key)).item;
      } else {
        if (!base || !id) return;
        const patch = diffPatch(fromItem(base, currency), values, input, currency);
        if (Object.keys(patch).length === 0) {
          draft.discard();
          navigate(`/items/${encodeURIComponent(id)}`);
          return;
        }
        saved = (await itemsApi.update(id, { ...patch, version: base.version })).item;
      }
      draft.discard();
      announce(editing ? `Saved ${saved.name}.` : `Created ${saved.name}.`);
      navigate(`/items/${encodeURIComponent(saved.id)}`, { replace: !editing });
    } catch (err) {
      await handleFailure(err);
    } finally {
      setBusy(false);
    }
  }

  async function handleFailure(err: unknown) {
    if (err instanceof ApiError && err.code === 'conflict' && editing && id && base) {
      // A stale version, or a SKU another of the merchant's items already has. The problem carries the
      // current item (`current`; `item` accepted too); otherwise fetch it: a newer version means someone
      // else saved first.
      const carried = (err.problem.current ?? err.problem.item) as Item | undefined;
      const current = carried && typeof carried === 'object' ? carried : (await itemsApi.get(id)).item;
      if (current.version !== base.version) {
        setConflict(current);
        return;
      }
    }
    if (err instanceof ApiError && err.code === 'conflict') {
      setErrors({ sku: 'You already have an item with this SKU.' });
      setError('Please fix the highlighted fields.');
      return;
    }
    const fields = fieldErrorMap(err);
    const mapped: Errors = {};
    for (const f of Object.keys(API_FIELD) as (keyof ItemFormValues)[]) {
      const msg = fields[API_FIELD[f]];
      if (msg) mapped[f] = msg;
    }
    setErrors(mapped);
    setError(Object.keys(mapped).length > 0 ? 'Please fix the highlighted fields.' : describeError(err));
  }

  function keepMine() {
    if (!conflict || !base) return;
    const theirs = fromItem(conflict, currency);
    const started = fromItem(base, currency);
    const merged = { ...theirs };
    for (const f of EDITABLE) if (!sameValue(f, started, values, currency)) merged[f] = values[f];
    draft.set({ ...draft.value, values: merged, base: conflict });
    setConflict(null);
    setInfo('Your changes now sit on top of the latest version. Review them and save again.');
  }

  function takeTheirs() {
    if (!conflict) return;
    draft.reset({ values: fromItem(conflict, currency), base: conflict, key: '' });
    setConflict(null);
    setInfo('Showing the latest saved version. Your changes were discarded.');
  }

  const title = editing ? `Edit ${base?.name ?? 'item'}` : 'New item';
  const cancelTo = editing && id ? `/items/${encodeURIComponent(id)}` : '/items';

  return (
    <section class="page page--narrow">
      <p class="crumbs">
        <a href={href('/items')}>Inventory</a>
        {editing && base ? (
          <>
            {' / '}
            <a href={href(cancelTo)}>{base.name}</a>
          </>
        ) : null}
      </p>
      <PageTitle title={title} />
      {info ? <Notice tone="info">{info}</Notice> : null}
      {error ? <Notice tone="error">{error}</Notice> : null}
      {conflict && base ? (
        <ConflictPanel
          base={fromItem(base, currency)}
          theirs={conflict}
          theirValues={fromItem(conflict, currency)}
          mine={values}
          onKeepMine={keepMine}
          onTakeTheirs={takeTheirs}
        />
      ) : null}
      {loading ? (
        <p role="status">Loading…</p>
      ) : (
        <form onSubmit={submit} class="stack form-grid" aria-label={title} noValidate>
          <Field
            label="SKU"
            name="sku"
            value={values.sku}
            onValue={setField('sku')}
            error={errors.sku}
            required
            hint="Your own code for this item, unique in your inventory."
          />
          <Field label="Name" name="name" value={values.name} onValue={setField('name')} error={errors.name} required />
          <Field
            label="Description"
            name="description"
            value={values.description}
            onValue={setField('description')}
            error={errors.description}
            multiline
            className="span-2"
          />
          {editing ? null : (
            <Field
              label="Quantity in stock"
              name="quantity"
              value={values.quantity}
              onValue={setField('quantity')}
              error={errors.quantity}
              inputMode="numeric"
              hint="Later changes go through stock adjustments, so every change is recorded."
            />
          )}
          <Field label="Unit" name="unit" value={values.unit} onValue={setField('unit')} error={errors.unit} hint="e.g. pcs, kg, box" />
          <Field
            label="Price"
            name="price"
            value={values.price}
            onValue={setField('price')}
            error={errors.price}
            inputMode="decimal"
            hint={`Selling price per unit in ${currency}, e.g. ${example(currency)}`}
          />
          <Field
            label="Cost"
            name="cost"
            value={values.cost}
            onValue={setField('cost')}
            error={errors.cost}
            inputMode="decimal"
            hint={`What one unit costs you, in ${currency}; used for stock value.`}
          />
          <Field
            label="Low-stock threshold"
            name="lowStockThreshold"
            value={values.lowStockThreshold}
            onValue={setField('lowStockThreshold')}
            error={errors.lowStockThreshold}
            inputMode="numeric"
            hint="Flag the item when stock falls to this number or below (0: when it runs out)."
          />
          <Field
            label="Location"
            name="location"
            value={values.location}
            onValue={setField('location')}
            error={errors.location}
            hint="Shelf, bin or room."
          />
          <Field
            label="Tags"
            name="tags"
            value={values.tags}
            onValue={setField('tags')}
            error={errors.tags}
            hint="Separate tags with commas, e.g. winter, fragile."
          />
          <div class="actions span-2">
            <button type="submit" class="btn btn--primary" disabled={busy || conflict !== null}>
              {busy ? 'Saving…' : editing ? 'Save changes' : 'Create item'}
            </button>
            <a class="btn" href={href(cancelTo)} onClick={() => draft.discard()}>
              Cancel
            </a>
          </div>
        </form>
      )}
    </section>
  );
}
