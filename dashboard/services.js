// The compute services: the caller's own (every one, for an administrator), and those at work on
// tasks the caller may read, with the tasks they hold.
import { $, el, timeAgo } from './dom.js';

export async function loadServices(query) {
  const { computeServices } = await query('{ computeServices(includeGone: true) { id name lastHeartbeatAt expiredAt deregisteredAt } }');
  $('#services tbody').replaceChildren(
    ...computeServices.map((service) => {
      const gone = service.expiredAt !== null ? 'expired' : service.deregisteredAt !== null ? 'stopped' : 'alive';
      return el('tr', { 'data-service': service.id }, [
        el('td', {}, service.name),
        el('td', {}, timeAgo(service.lastHeartbeatAt)),
        el('td', {}, gone),
      ]);
    }),
  );
}

/** `onTask(id)`: what clicking one of a service's tasks does (shows it). */
export async function loadServicesAtWork(query, onTask) {
  const { computeServicesAtWork } = await query('{ computeServicesAtWork { id name host lastHeartbeatAt taskIds } }');
  const body = $('#services-at-work tbody');
  if (computeServicesAtWork.length === 0) {
    body.replaceChildren(el('tr', { class: 'empty' }, [el('td', { colspan: 4 }, 'No compute service is running your tasks.')]));
    return;
  }
  body.replaceChildren(
    ...computeServicesAtWork.map((service) => {
      const tasks = service.taskIds.map((id) => {
        const link = el('a', { href: '#', 'data-task': id, title: id }, `…${id.slice(-8)}`);
        link.addEventListener('click', (event) => {
          event.preventDefault();
          onTask(id);
        });
        return link;
      });
      return el('tr', { 'data-service': service.id }, [
        el('td', { class: 'service-name' }, service.name),
        el('td', { class: 'service-host' }, service.host ?? ''),
        el('td', {}, timeAgo(service.lastHeartbeatAt)),
        el(
          'td',
          { class: 'service-tasks' },
          tasks.flatMap((link, i) => (i === 0 ? [link] : [' ', link])),
        ),
      ]);
    }),
  );
}
