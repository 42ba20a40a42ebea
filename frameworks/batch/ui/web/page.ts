/** What every page of the batch UI is given (pages: common/ui/web/page.ts): the live feed connection. */
import type { LiveConnection } from '../../../../common/ui/web/live.ts';

export interface PageContext {
  readonly live: LiveConnection;
}
