import type { ComponentChildren } from 'preact';
import { PageTitle } from './PageTitle';

/** The signed-out screens' frame (sign in, sign up, reset link): the brand, the screen's heading, its content. */
export function AuthCard({ title, children }: { title: string; children: ComponentChildren }) {
  return (
    <div class="auth-page">
      <div class="auth-card">
        <p class="auth-brand" aria-hidden="true">
          <span class="brand__mark" />
          Stockade
        </p>
        <PageTitle title={title} />
        {children}
      </div>
    </div>
  );
}
