/**
 * Hash routing for a UI: a header with the UI's title and a nav bar, and an outlet where the
 * current route's view is rendered. A view is an element plus an optional `dispose` (called when
 * the route changes: unsubscribe from the feed, stop timers). Matching is in route-match.ts.
 */
import { h, replaceChildren, type Child } from './dom.ts';
import { hashFor, matchRoute, parseHash } from './route-match.ts';

export interface View {
  readonly el: HTMLElement;
  dispose?(): void;
}

export interface Route {
  /** `/agents`, `/sandbox/:agent/:task` */
  readonly path: string;
  /** Shown in the nav bar when set (routes with parameters usually have none). */
  readonly nav?: string;
  render(params: Readonly<Record<string, string>>, query: Readonly<Record<string, string>>): View;
}

export interface RouterOptions {
  readonly root: HTMLElement;
  readonly title: string;
  readonly routes: readonly Route[];
  /** Where `#/` and unknown paths go. */
  readonly home: string;
  /** Extra header content (the feed's live / reconnecting badge, say). */
  readonly headerExtra?: Child;
}

export function navigate(path: string, query: Readonly<Record<string, string>> = {}): void {
  location.hash = hashFor(path, query);
}

/** Renders the shell and the route of the current hash, and follows hash changes. */
export function startRouter(options: RouterOptions): { stop(): void } {
  const outlet = h('main.outlet');
  const links = options.routes.filter((r) => r.nav !== undefined).map((r) => ({ route: r, a: h('a', { href: `#${r.path}`, 'data-nav': r.path }, r.nav!) }));
  const header = h('header.topbar', null, h('span.brand', null, options.title), h('nav', null, links.map((l) => l.a)), h('span.spacer'), options.headerExtra ?? null);
  replaceChildren(options.root, header, outlet);
  let current: View | undefined;

  const show = () => {
    const loc = parseHash(location.hash);
    let found: { route: Route; params: Record<string, string> } | undefined;
    for (const route of options.routes) {
      const params = matchRoute(route.path, loc.path);
      if (params) {
        found = { route, params };
        break;
      }
    }
    if (found === undefined) {
      navigate(options.home);
      return;
    }
    current?.dispose?.();
    for (const l of links) l.a.classList.toggle('active', loc.path === l.route.path || loc.path.startsWith(`${l.route.path}/`));
    current = found.route.render(found.params, loc.query);
    replaceChildren(outlet, current.el);
    document.title = `${found.route.nav ?? loc.path.split('/')[1] ?? ''} · ${options.title}`;
  };
  window.addEventListener('hashchange', show);
  show();
  return {
    stop() {
      window.removeEventListener('hashchange', show);
      current?.dispose?.();
    },
  };
}
