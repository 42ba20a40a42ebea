/**
 * The live side of the marathon UI: one EventSource on marathon's own `/v2/events`
 * (`plan-format=light`: deployment plans without the whole groups). Pages register what an event
 * type makes stale; each change re-reads only that, debounced so a burst of status updates costs
 * one request. The stream's own `event_stream_attached`/`_detached` notices are not changes.
 * EventSource reconnects by itself; the badge says "live" or "reconnecting", and a page re-reads
 * everything after a reconnect (events sent while it was away are lost).
 */
const IGNORED = new Set(['event_stream_attached', 'event_stream_detached']);
const DEBOUNCE_MS = 150;

export type Listener = (eventType: string, data: unknown) => void;

export interface MarathonEvents {
  /** Calls `listener` for every change event; returns the unsubscribe function. */
  on(listener: Listener): () => void;
  /** Calls `refresh` (debounced) after change events `wanted` accepts and after a reconnect. */
  refreshOn(wanted: (eventType: string, data: unknown) => boolean, refresh: () => void): () => void;
  onState(cb: (state: 'live' | 'reconnecting') => void): void;
}

export function connectEvents(url = '/v2/events?plan-format=light'): MarathonEvents {
  const listeners = new Set<Listener>();
  const reconnectListeners = new Set<() => void>();
  const stateListeners: ((s: 'live' | 'reconnecting') => void)[] = [];
  let everOpen = false;
  let state: 'live' | 'reconnecting' = 'reconnecting';
  const setState = (s: 'live' | 'reconnecting') => {
    state = s;
    for (const cb of stateListeners) cb(s);
  };
  const source = new EventSource(url);
  source.onopen = () => {
    if (everOpen) for (const cb of reconnectListeners) cb();
    everOpen = true;
    setState('live');
  };
  source.onerror = () => setState('reconnecting');
  source.onmessage = (m) => dispatch(m);
  // SSE messages with an `event:` name reach only listeners of that name: read them all through
  // the data's own eventType instead (every Marathon event carries one).
  const dispatch = (m: MessageEvent) => {
    let data: { eventType?: string } | undefined;
    try {
      data = JSON.parse(String(m.data));
    } catch {
      return;
    }
    const type = data?.eventType ?? m.type;
    if (IGNORED.has(type)) return;
    for (const l of listeners) l(type, data);
  };
  for (const type of EVENT_TYPES) source.addEventListener(type, dispatch as EventListener);

  return {
    on(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    refreshOn(wanted, refresh) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const soon = () => {
        if (timer !== undefined) return;
        timer = setTimeout(() => {
          timer = undefined;
          refresh();
        }, DEBOUNCE_MS);
      };
      const listener: Listener = (type, data) => {
        if (wanted(type, data)) soon();
      };
      listeners.add(listener);
      reconnectListeners.add(soon);
      return () => {
        listeners.delete(listener);
        reconnectListeners.delete(soon);
        if (timer !== undefined) clearTimeout(timer);
      };
    },
    onState(cb) {
      stateListeners.push(cb);
      cb(state);
    },
  };
}

/** Marathon's event types (the `event:` names of `/v2/events`). */
export const EVENT_TYPES = [
  'api_post_event', 'status_update_event', 'instance_changed_event', 'unknown_instance_terminated_event',
  'instance_health_changed_event', 'health_status_changed_event', 'failed_health_check_event',
  'unhealthy_instance_kill_event', 'unhealthy_task_kill_event', 'add_health_check_event', 'remove_health_check_event',
  'deployment_info', 'deployment_success', 'deployment_failed', 'deployment_step_success', 'deployment_step_failure',
  'group_change_success', 'group_change_failed', 'app_terminated_event', 'pod_created_event', 'pod_updated_event',
  'pod_deleted_event', 'framework_message_event', 'scheduler_registered_event', 'scheduler_reregistered_event',
  'scheduler_disconnected_event', 'instance_launched_event', 'app_launch_failed_event',
] as const;

/** Whether an event is about the app `appId` (events name it as `appId`, or carry it in a plan). */
export function concernsApp(appId: string, data: unknown): boolean {
  const d = data as { appId?: unknown; plan?: { steps?: { actions?: { app?: unknown }[] }[] } } | undefined;
  if (d?.appId === appId) return true;
  if (typeof d?.appId === 'string') return false;
  const steps = d?.plan?.steps ?? [];
  if (steps.length > 0) return steps.some((s) => (s.actions ?? []).some((a) => a.app === appId));
  return true;
}
