import { withQuery } from '../api/client';

/** The server prints at most this many labels per sheet (docs/api.md "Labels"). */
export const MAX_LABELS = 200;

/**
 * "Print labels" for the items selected in the list: links to the label sheet, PDF or a print page,
 * opened in a new tab (a GET the session cookie authorises; both formats are documents the browser shows
 * itself, so nothing passes through this app's memory).
 */
export function LabelsBar({ ids, onClear }: { ids: readonly string[]; onClear: () => void }) {
  if (ids.length === 0) return null;
  const tooMany = ids.length > MAX_LABELS;
  const url = (format: 'pdf' | 'html') => withQuery('/api/items/labels', { ids: ids.join(','), format });
  return (
    <section class="labels-bar" aria-label="Labels">
      <span>
        {ids.length} selected{tooMany ? ` — at most ${MAX_LABELS} per sheet` : ''}
      </span>
      {tooMany ? null : (
        <>
          <a class="btn btn--primary" href={url('pdf')} target="_blank" rel="noopener">
            Print labels (PDF)
          </a>
          <a class="btn" href={url('html')} target="_blank" rel="noopener">
            Print page
          </a>
        </>
      )}
      <button type="button" class="btn btn--ghost" onClick={onClear}>
        Clear selection
      </button>
    </section>
  );
}
