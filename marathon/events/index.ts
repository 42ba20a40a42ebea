/**
 * marathon/events: the event bus and the constructors of every Marathon 1.x event this
 * marathon publishes on `/v2/events`.
 */
export * from './event-bus.ts';
export * from './marathon-events.ts';
export * from './deployment-events.ts';
