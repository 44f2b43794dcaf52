import type { ComponentChildren } from 'preact';
import { useEffect } from 'preact/hooks';

/**
 * The screen's <h1>. It is the target of focus after each route change (see App), so a screen reader
 * announces the new screen and keyboard users start from the top of it; tabIndex -1 makes it
 * focusable by script without adding it to the tab order.
 */
export function PageTitle({ children, title }: { children?: ComponentChildren; title: string }) {
  useEffect(() => {
    document.title = `${title} · Stockade`;
  }, [title]);
  return (
    <h1 id="page-title" tabIndex={-1}>
      {children ?? title}
    </h1>
  );
}
