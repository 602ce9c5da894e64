import type { EventSettings } from '../../config.js';

/** The event settings a server runs with unless the environment says otherwise (and a bare createServices). */
export const defaultEventSettings: EventSettings = {
  pollMs: 1_000,
  retentionDays: 7,
  maxQueuedPerSubscriber: 10_000,
  reauthenticateSeconds: 30,
};
