import { PageTitle } from '../components/PageTitle';
import { href } from '../lib/router';

export function NotFound() {
  return (
    <section class="page">
      <PageTitle title="Page not found" />
      <p>
        There is nothing here. <a href={href('/')}>Go to the dashboard</a>.
      </p>
    </section>
  );
}
