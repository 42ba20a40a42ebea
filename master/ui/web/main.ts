/**
 * The master's web UI in the browser: one live feed (`/ui/ws`) for every page, a hash router over
 * the pages (pages/*.ts), and a badge that says whether the feed is live.
 */
import { h } from '../../../common/ui/web/dom.ts';
import { connectLive, liveUrl } from '../../../common/ui/web/live.ts';
import { startRouter } from '../../../common/ui/web/router.ts';
import { overviewPage } from './pages/overview.ts';
import { agentsPage } from './pages/agents.ts';
import { frameworksPage } from './pages/frameworks.ts';
import { offersPage } from './pages/offers.ts';
import { tasksPage } from './pages/tasks.ts';
import { rolesPage } from './pages/roles.ts';
import { maintenancePage } from './pages/maintenance.ts';
import { sandboxPage } from './pages/sandbox.ts';

const live = connectLive(liveUrl('/ui/ws'));
const badge = h('span.badge', { 'data-testid': 'live-state' }, 'connecting');
live.onState((s) => {
  badge.textContent = s;
  badge.className = `badge ${s}`;
});

startRouter({
  root: document.getElementById('app')!,
  title: document.body.dataset.title ?? 'maestro master',
  home: '/overview',
  headerExtra: badge,
  routes: [
    { path: '/overview', nav: 'Overview', render: () => overviewPage(live) },
    { path: '/agents', nav: 'Agents', render: (_p, q) => agentsPage(live, q) },
    { path: '/frameworks', nav: 'Frameworks', render: (_p, q) => frameworksPage(live, q) },
    { path: '/offers', nav: 'Offers', render: (_p, q) => offersPage(live, q) },
    { path: '/tasks', nav: 'Tasks', render: (_p, q) => tasksPage(live, q) },
    { path: '/roles', nav: 'Roles', render: () => rolesPage(live) },
    { path: '/maintenance', nav: 'Maintenance', render: () => maintenancePage(live) },
    { path: '/sandbox/:agent/:path', render: (p, q) => sandboxPage(live, p.agent, p.path, q) },
  ],
});
