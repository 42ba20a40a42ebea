/**
 * The marathon UI (served at `/ui/`): apps, one app (tasks, scale, restart, suspend, destroy),
 * the app editor (create / edit as JSON), deployments and the launch queue, on the kit's hash
 * router. Live: one EventSource on `/v2/events` shared by every page (events.ts), and the queue
 * page's own feed. The header badge says whether the event stream is connected.
 */
import { liveBadge, pageView } from '../../../common/ui/web/page.ts';
import { startRouter, type Route } from '../../../common/ui/web/router.ts';
import { appEditor } from './app-editor.ts';
import { appPage } from './app-page.ts';
import { appsPage } from './apps-page.ts';
import { deploymentsPage } from './deployments-page.ts';
import { connectEvents } from './events.ts';
import type { PageContext } from './page.ts';
import { queuePage } from './queue-page.ts';

const events = connectEvents();
const view = pageView<PageContext>({ events });

const routes: Route[] = [
  { path: '/apps', nav: 'Applications', render: view(appsPage) },
  { path: '/deployments', nav: 'Deployments', render: view(deploymentsPage) },
  { path: '/queue', nav: 'Queue', render: view(queuePage) },
  { path: '/create', render: view(appEditor) },
  { path: '/apps/:id', render: view(appPage) },
  { path: '/edit/:id', render: view(appEditor) },
];

startRouter({
  root: document.getElementById('app') as HTMLElement,
  title: document.body.dataset.title ?? 'maestro marathon',
  routes,
  home: '/apps',
  headerExtra: liveBadge(events),
});
