/**
 * One-at-a-time sections per key (a hosted zone, a distribution): a read-check-write of the
 * harness must not interleave with another on the same resource, as AWS serialises changes to
 * one resource (Route 53 answers PriorRequestNotComplete, CloudFront checks If-Match against
 * the version it holds).
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  /** Runs `section` after every earlier section of the same key has finished. */
  run<T>(key: string, section: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(section, section);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}
