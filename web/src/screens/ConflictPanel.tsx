import { useCurrency } from '../state/currency';
import { useEffect, useRef } from 'preact/hooks';
import { formatDateTime } from '../lib/format';
import type { Item } from '../api/types';
import { display, EDITABLE, FIELD_LABELS, type ItemFormValues, sameValue } from './itemFormValues';

interface ConflictPanelProps {
  /** What the form started from. */
  base: ItemFormValues;
  /** The version now saved on the server (someone else's change). */
  theirs: Item;
  theirValues: ItemFormValues;
  /** The merchant's unsaved values. */
  mine: ItemFormValues;
  onKeepMine: () => void;
  onTakeTheirs: () => void;
}

/**
 * Shown when saving an item answers 409 because someone saved it first. It lists what the other change
 * did next to the merchant's edit, so nothing is overwritten blind, and offers two ways on: re-apply
 * my edits on top of the new version (then review and save), or drop mine.
 */
export function ConflictPanel(props: ConflictPanelProps) {
  const heading = useRef<HTMLHeadingElement>(null);
  const currency = useCurrency();
  useEffect(() => heading.current?.focus(), []);

  const rows = EDITABLE.filter(
    (f) => !sameValue(f, props.base, props.theirValues, currency) || !sameValue(f, props.base, props.mine, currency),
  );

  return (
    <section class="conflict" aria-labelledby="conflict-title">
      <h2 id="conflict-title" tabIndex={-1} ref={heading}>
        Someone else changed this item
      </h2>
      <p>
        It was saved again on {formatDateTime(props.theirs.updatedAt)} while you were editing. Your changes are not saved yet. Compare them:
      </p>
      <div class="table-wrap">
        <table class="table table--conflict">
          <thead>
            <tr>
              <th scope="col">Field</th>
              <th scope="col">Their saved value</th>
              <th scope="col">Your value</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((field) => {
              const theyChanged = !sameValue(field, props.base, props.theirValues, currency);
              const youChanged = !sameValue(field, props.base, props.mine, currency);
              return (
                <tr key={field} class={theyChanged && youChanged ? 'row--clash' : undefined}>
                  <th scope="row">
                    {FIELD_LABELS[field]}
                    {theyChanged && youChanged ? <span class="badge badge--low">both changed</span> : null}
                  </th>
                  <td class={theyChanged ? 'changed' : undefined}>{display(field, props.theirValues, currency)}</td>
                  <td class={youChanged ? 'changed' : undefined}>{display(field, props.mine, currency)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <div class="actions">
        <button type="button" class="btn btn--primary" onClick={props.onKeepMine}>
          Apply my changes to the new version
        </button>
        <button type="button" class="btn" onClick={props.onTakeTheirs}>
          Discard my changes
        </button>
      </div>
    </section>
  );
}
