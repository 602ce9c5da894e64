// The log of live events, newest first, and the header's "last event … ago".
import { $, bytes, el, plusMinus, setTimeAgo, timeAgo } from './dom.js';

const kept = 200;

export function noteLastEvent(occurredAt) {
  const shown = $('#last-event time');
  if (shown === null) $('#last-event').replaceChildren('last event ', timeAgo(occurredAt));
  else setTimeAgo(shown, occurredAt);
}

export function logEvent(event) {
  const what =
    {
      TaskStatusChanged: () => `${event.from ?? 'new'} → ${event.to}`,
      UnitResultRecorded: () => `unit ${event.unitKey} ${event.ok ? 'ok' : 'failed'} (attempt ${event.attempt})`,
      ResultFileAvailable: () => `file ${event.file.unitKey}/${event.file.path} (${bytes(event.file.size)})`,
      ProtocolDAGResultRecorded: () => `ProtocolDAGResult ${event.ok ? 'ok' : 'failed'}`,
      ComputeServiceExpired: () => `compute service ${event.computeServiceName} expired`,
      EstimateChanged: () =>
        event.value === null
          ? 'estimate withdrawn'
          : `estimate ${plusMinus(event.value, event.uncertainty)} ${event.unit} (n = ${event.n})`,
    }[event.__typename]?.() ?? event.__typename;
  const log = $('#event-log');
  log.prepend(el('li', { 'data-cursor': event.cursor }, `${event.occurredAt.slice(11, 19)} task …${event.taskId.slice(-8)}: ${what}`));
  while (log.children.length > kept) log.lastElementChild.remove();
}
