/**
 * Whether a process of this pid exists: signal 0 checks without sending anything. EPERM means it
 * exists under another user (the embedded server's own user, when we run as root).
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
