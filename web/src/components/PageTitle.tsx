import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

/**
 * The screen's <h1>. It takes focus after each route change (App calls `focusPageTitle`), so a screen
 * reader announces the new screen and keyboard users start from the top of it; tabIndex -1 makes it
 * focusable by script without adding it to the tab order.
 *
 * A screen that is still loading shows a placeholder heading that is then replaced; when the focused
 * heading is removed, focus falls back to <body>. So for a few seconds after a route change a newly
 * mounted heading takes focus too, but only if focus is on <body> (never stolen from a field).
 */
let focusUntil = 0;

export function focusPageTitle(): void {
  focusUntil = Date.now() + 5000;
  requestAnimationFrame(() => document.getElementById('page-title')?.focus());
}

export function PageTitle({ children, title }: { children?: ComponentChildren; title: string }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · Stockade`;
  }, [title]);
  useEffect(() => {
    const active = document.activeElement;
    if (Date.now() < focusUntil && (!active || active === document.body)) ref.current?.focus();
  }, []);
  return (
    <h1 id="page-title" tabIndex={-1} ref={ref}>
      {children ?? title}
    </h1>
  );
}
