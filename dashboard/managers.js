// The compute managers: the caller's own (every one, for an administrator), each with its worker jobs
// and their states as it last reported them. A manager silent past the compute expiry shows GONE.
import { $, el, timeAgo } from './dom.js';

const shownJobs = 12;

export async function loadManagers(query) {
  const { computeManagers } = await query(
    '{ computeManagers { id name backend host status lastHeartbeatAt jobs { jobId state reason submittedAt } } }',
  );
  const body = $('#managers tbody');
  if (computeManagers.length === 0) {
    body.replaceChildren(el('tr', { class: 'empty' }, [el('td', { colspan: 4 }, 'No compute manager.')]));
    return;
  }
  body.replaceChildren(
    ...computeManagers.map((manager) => {
      const jobs = manager.jobs
        .slice(0, shownJobs)
        .map((job) =>
          el(
            'span',
            { class: 'manager-job', 'data-job': job.jobId, 'data-state': job.state, title: job.reason ?? job.state },
            `${job.jobId} ${job.state}`,
          ),
        );
      const more = manager.jobs.length > shownJobs ? [` …${manager.jobs.length - shownJobs} more`] : [];
      return el('tr', { 'data-manager': manager.id, 'data-status': manager.status }, [
        el('td', { class: 'manager-name', title: manager.host ?? '' }, `${manager.name} (${manager.backend})`),
        el('td', {}, timeAgo(manager.lastHeartbeatAt)),
        el('td', { class: 'manager-status' }, manager.status),
        el('td', { class: 'manager-jobs' }, [...jobs.flatMap((job, i) => (i === 0 ? [job] : [' ', job])), ...more]),
      ]);
    }),
  );
}
