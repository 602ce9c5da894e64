// jest's node environment plus one check per test file: once the file's last afterAll hook has run,
// whatever it left running that test/support/leftovers.ts tracks (child processes, servers, Apps,
// client sockets) is stopped, and the file fails naming each. It runs also when a test failed or timed
// out. (An afterAll in a setupFilesAfterEnv file would not do: afterAll hooks of one block run in the
// order they were declared, so it would run before the file's own top-level afterAll hooks.)
import { TestEnvironment } from 'jest-environment-node';

export default class LeakCheckEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    this.testPath = context.testPath;
  }

  async handleTestEvent(event, state) {
    if (event.name !== 'run_describe_finish' || event.describeBlock !== state.rootDescribeBlock) return;
    const tracked = this.global.__dagkeeperTracked;
    if (tracked === undefined) return;
    const leftovers = await tracked.stopLeftovers();
    if (leftovers.length === 0) return;
    const message =
      `this test file left ${leftovers.length} thing(s) running after its afterAll hooks; the test support stopped them:\n` +
      leftovers.map((line) => `  - ${line}`).join('\n');
    console.error(`LEFT RUNNING by ${this.testPath}:\n${message}`);
    state.unhandledErrors.push(new Error(message));
  }
}
