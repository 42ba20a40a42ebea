/** What every page of the marathon UI is given (pages: common/ui/web/page.ts): the live event stream. */
import type { MarathonEvents } from './events.ts';

export interface PageContext {
  readonly events: MarathonEvents;
}

/** The hash of an app's page (`#/apps/%2Fgroup%2Fweb`: the id is one route segment). */
export const appHref = (id: string): string => `#/apps/${encodeURIComponent(id)}`;
export const editHref = (id: string): string => `#/edit/${encodeURIComponent(id)}`;
