import { Store } from '../lib/store';

/**
 * The app-wide status line (an aria-live region in the layout): short confirmations such as
 * "Item saved" that outlive the screen that caused them, e.g. after navigating away.
 */
export interface Announcement {
  id: number;
  text: string;
  tone: 'info' | 'success' | 'error';
}

export const announcement = new Store<Announcement | null>(null);
let nextId = 1;
let timer: ReturnType<typeof setTimeout> | undefined;

export function announce(text: string, tone: Announcement['tone'] = 'success'): void {
  announcement.set({ id: nextId++, text, tone });
  clearTimeout(timer);
  // Long enough to read; errors stay until replaced.
  if (tone !== 'error') timer = setTimeout(() => announcement.set(null), 6000);
}

export function clearAnnouncement(): void {
  clearTimeout(timer);
  announcement.set(null);
}
