/**
 * The batch UI (served at `/ui/`): jobs, one job, one run with its logs, and the job editor, on
 * the kit's hash router; live through one WebSocket to batch's feed (`/ui/live`), whose state the
 * header badge shows.
 */
import { connectLive, liveUrl } from '../../../../common/ui/web/live.ts';
import { liveBadge, pageView } from '../../../../common/ui/web/page.ts';
import { startRouter, type Route } from '../../../../common/ui/web/router.ts';
import { jobEditor } from './job-editor.ts';
import { jobPage } from './job-page.ts';
import { jobsPage } from './jobs-page.ts';
import type { PageContext } from './page.ts';
import { runPage } from './run-page.ts';

const live = connectLive(liveUrl('/ui/live'));
const view = pageView<PageContext>({ live });

const routes: Route[] = [
  { path: '/jobs', nav: 'Jobs', render: view(jobsPage) },
  { path: '/create', nav: 'Create job', render: view(jobEditor) },
  { path: '/jobs/:id', render: view(jobPage) },
  { path: '/jobs/:id/runs/:run', render: view(runPage) },
];

startRouter({
  root: document.getElementById('app') as HTMLElement,
  title: document.body.dataset.title ?? 'maestro batch',
  routes,
  home: '/jobs',
  headerExtra: liveBadge(live),
});
