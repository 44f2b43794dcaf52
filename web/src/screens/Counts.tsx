import { useState } from 'preact/hooks';
import { counts as countsApi } from '../api/counts';
import { describeError } from '../api/problem';
import { Field, Select } from '../components/Field';
import { Notice } from '../components/Notice';
import { PageTitle } from '../components/PageTitle';
import { formatDateTime } from '../lib/format';
import { href, navigate } from '../lib/router';
import { useStore } from '../lib/store';
import { useAsync } from '../lib/useAsync';
import { mayAct, shopState } from '../state/shop';

type Scope = 'all' | 'location' | 'tag';
const SCOPES: { value: Scope; label: string }[] = [
  { value: 'all', label: 'All items' },
  { value: 'location', label: 'One location' },
  { value: 'tag', label: 'One tag' },
];

/**
 * Stock counts (issue 17): the shop's counts, and starting one over all items, a location or a tag.
 * Its items are a snapshot of that moment; the server refuses (409, naming the count) an item already
 * in another open count, and starting is for managers (POST /api/counts is shop:manager): below that the
 * form is not shown, only the list to open a count in.
 */
export function Counts() {
  const list = useAsync(() => countsApi.list().then((r) => r.counts), []);
  const [name, setName] = useState('');
  const [scope, setScope] = useState<Scope>('all');
  const [value, setValue] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const starts = mayAct(useStore(shopState), 'manager');

  async function start(e: Event) {
    e.preventDefault();
    setError(null);
    if (scope !== 'all' && !value.trim()) {
      setError(scope === 'location' ? 'Name the location to count.' : 'Name the tag to count.');
      return;
    }
    setBusy(true);
    try {
      const { count } = await countsApi.start({
        ...(name.trim() ? { name: name.trim() } : {}),
        ...(scope === 'location' ? { location: value.trim() } : scope === 'tag' ? { tag: value.trim() } : {}),
      });
      navigate(`/counts/${encodeURIComponent(count.id)}`);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="page">
      <PageTitle title="Stock counts" />
      {starts ? (
        <form class="card count-start" onSubmit={start} aria-labelledby="count-start-title">
          <h2 id="count-start-title">Start a count</h2>
          <Field label="Name (optional)" value={name} onValue={setName} name="name" />
          <Select label="What to count" value={scope} options={SCOPES} onValue={setScope} />
          {scope !== 'all' ? (
            <Field label={scope === 'location' ? 'Location' : 'Tag'} value={value} onValue={setValue} name={scope} />
          ) : null}
          {error ? <Notice tone="error">{error}</Notice> : null}
          <button type="submit" class="btn btn--primary" disabled={busy}>
            {busy ? 'Starting…' : 'Start count'}
          </button>
        </form>
      ) : null}

      {list.error ? <Notice tone="error">{describeError(list.error)}</Notice> : null}
      {list.data && list.data.length > 0 ? (
        <ul class="count-list">
          {list.data.map((c) => (
            <li key={c.id}>
              <a href={href(`/counts/${encodeURIComponent(c.id)}`)}>{c.name || 'Count'}</a>{' '}
              <span class={`badge badge--${c.status}`}>{c.status}</span> <span class="hint">{formatDateTime(c.createdAt)}</span>
            </li>
          ))}
        </ul>
      ) : list.data ? (
        <p class="empty">No counts yet.</p>
      ) : null}
    </section>
  );
}
