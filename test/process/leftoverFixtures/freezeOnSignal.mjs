// Preloaded into a dagkeeper server by test/process/leftovers.test.ts: on SIGUSR2 its event loop is
// stuck for good (as a server's can be), so it never runs its SIGTERM handler.
process.on('SIGUSR2', () => {
  process.stdout.write(`${JSON.stringify({ msg: 'event loop frozen' })}\n`);
  for (;;);
});
