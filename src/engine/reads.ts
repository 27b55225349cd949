/**
 * Reads shared within one run: the first read of a key is answered once and that answer goes
 * to every later reader of the same key (the SES identity read by its own step and by the MAIL
 * FROM step; the DNS records a step reads to plan and then to write). A step that changes what
 * it read forgets the key, so whoever reads after it sees the change. A failed read is not
 * kept. Answers are shared objects: readers must not modify them.
 */
export class RunReads {
  private readonly answers = new Map<string, Promise<unknown>>();

  once<T>(key: string, read: () => Promise<T>): Promise<T> {
    const known = this.answers.get(key);
    if (known) return known as Promise<T>;
    const answer = read();
    this.answers.set(key, answer);
    answer.catch(() => {
      if (this.answers.get(key) === answer) this.answers.delete(key);
    });
    return answer;
  }

  forget(key: string): void {
    this.answers.delete(key);
  }
}
