/**
 * Preloaded (`node --import`) into the hub and agent processes a test starts,
 * which it spawns with an IPC channel: when the test process is gone, however
 * it ended (even SIGKILL, which runs no exit hook), the channel closes and the
 * child ends too, instead of running on, holding ports and reconnecting.
 */
if (process.channel) {
  // The channel must not keep the process alive on its own.
  process.channel.unref();
  process.once('disconnect', () => process.kill(process.pid, 'SIGKILL'));
}
