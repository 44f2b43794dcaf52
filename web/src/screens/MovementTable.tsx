import type { Movement } from '../api/types';
import { formatDateTime, formatNumber, signed } from '../lib/format';
import { href } from '../lib/router';
import { REASON_LABELS } from './AdjustStock';

/**
 * Stock movements as a table, newest first as given: the shop's ledger (Ledger.tsx) and one item's
 * history (MovementHistory.tsx) show the same rows, one component so the two cannot drift apart. The
 * ledger spans items, so it passes `itemName` and gets an Item column linking to each item; an item's
 * own history leaves it out. `data-label` names each cell for the phone layout (styles.css), where the
 * header row is hidden.
 */
export function MovementTable({ movements, itemName }: { movements: readonly Movement[]; itemName?: (itemId: string) => string }) {
  return (
    <div class="table-wrap">
      <table class="table table--movements">
        <thead>
          <tr>
            <th scope="col">When</th>
            {itemName ? <th scope="col">Item</th> : null}
            <th scope="col" class="num">
              Change
            </th>
            <th scope="col" class="num">
              After
            </th>
            <th scope="col">Reason</th>
            <th scope="col">By</th>
            <th scope="col">Note</th>
          </tr>
        </thead>
        <tbody>
          {movements.map((m) => (
            <tr key={m.id}>
              <td data-label="When">{formatDateTime(m.createdAt)}</td>
              {itemName ? (
                <td data-label="Item">
                  <a href={href(`/items/${m.itemId}`)}>{itemName(m.itemId)}</a>
                </td>
              ) : null}
              <td data-label="Change" class={`num ${m.delta > 0 ? 'delta--in' : 'delta--out'}`}>
                {signed(m.delta)}
              </td>
              <td data-label="After" class="num">
                {formatNumber(m.quantityAfter)}
              </td>
              <td data-label="Reason">{REASON_LABELS[m.reason] ?? m.reason}</td>
              <td data-label="By">{m.by.username}</td>
              <td data-label="Note">{m.note || '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
