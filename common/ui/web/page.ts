/**
 * Pages of a UI on the kit's router, as marathon and batch write them: a page draws itself into
 * `root` with the UI's context (its live feed) and the route's parameters, and answers the
 * function that stops its updates; `pageView(ctx)` turns such pages into routes' `render`. And
 * the header badge that shows the live feed's state.
 */
import { h } from './dom.ts';
import type { View } from './router.ts';

export type Params = Readonly<Record<string, string>>;

export type Page<Ctx> = (root: HTMLElement, ctx: Ctx, params: Params) => () => void;

/** `render` of a route for a page: a `div.page` drawn by it, disposed when the route changes. */
export function pageView<Ctx>(ctx: Ctx): (page: Page<Ctx>) => (params: Params) => View {
  return (page) => (params) => {
    const el = h('div.page');
    const dispose = page(el, ctx, params);
    return { el, dispose };
  };
}

/** A header badge: `connecting`, then each state the feed reports (class and `data-live` too). */
export function liveBadge(feed: { onState(listener: (state: string) => void): unknown }): HTMLElement {
  const badge = h('span.badge.connecting', { 'data-live': 'connecting' }, 'connecting');
  feed.onState((state) => {
    badge.className = `badge ${state}`;
    badge.textContent = state;
    badge.setAttribute('data-live', state);
  });
  return badge;
}
