// Runs s3rver in its own process for test/support/s3rver.ts, so that the server's hashing, disk I/O and
// garbage collection neither slow the tests nor count towards their memory. Usage: <directory> <bucket>
// [port] [keepAliveTimeoutMs] (a free port by default; the chaos tests restart a store on the port its
// clients know; Node's 5 s idle keep-alive by default).
// Prints {"port":…} once listening; exits when its stdin closes (the test process ended, however it ended).
import S3rver from 's3rver';

const [directory, bucket, wantedPort = '0', keepAliveTimeoutMs] = process.argv.slice(2);
const server = new S3rver({
  address: '127.0.0.1',
  port: Number(wantedPort),
  silent: true,
  directory,
  configureBuckets: [{ name: bucket }],
});
const { port } = await server.run();
if (keepAliveTimeoutMs !== undefined) server.httpServer.keepAliveTimeout = Number(keepAliveTimeoutMs);
process.stdout.write(`${JSON.stringify({ port })}\n`);

process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
