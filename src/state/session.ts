import type { ResourceRecord, Secret, State } from './schema.js';
import type { StateBackend } from './backend.js';

/** Two JSON values alike, keys in any order. */
function sameJson(a: unknown, b: unknown): boolean {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v !== null && typeof v === 'object'
        ? Object.fromEntries(
            Object.entries(v)
              .filter(([, value]) => value !== undefined)
              .sort(([x], [y]) => x.localeCompare(y))
              .map(([k, value]) => [k, canonical(value)]),
          )
        : v;
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

/** How one step ended, as the runner hands it to the state. */
export interface StepRecordInput {
  type: 'created' | 'updated' | 'unchanged';
  outputs: Record<string, unknown>;
}

/**
 * The state of one run in memory, saved through its store after every change. Decides
 * ownership: a resource is ours when we created it, or when we wrote an intent to create it
 * and it then appeared (the create went through but its answer was lost).
 */
export class StateSession {
  readonly store: StateBackend;
  readonly state: State;

  constructor(store: StateBackend, state: State) {
    this.store = store;
    this.state = state;
  }

  record(id: string): ResourceRecord | undefined {
    return this.state.resources[id];
  }

  /** Persists identifiers of a create *before* the call that creates. */
  async intend(id: string, data: Record<string, unknown>): Promise<void> {
    const prev = this.record(id);
    const now = new Date().toISOString();
    this.state.resources[id] = prev
      ? { ...prev, intent: { ...prev.intent, ...data }, updatedAt: now }
      : { status: 'pending', owned: false, outputs: {}, intent: data, updatedAt: now };
    await this.store.save(this.state);
  }

  async recordResult(id: string, result: StepRecordInput): Promise<ResourceRecord> {
    const prev = this.record(id);
    // Found as recorded: the record stays as it is, so a run that changes nothing writes nothing
    // (a state on S3 is then not sent again).
    if (
      result.type === 'unchanged' &&
      prev !== undefined &&
      prev.status !== 'pending' &&
      prev.status !== 'disabling' &&
      prev.intent === undefined &&
      sameJson(prev.outputs, result.outputs)
    )
      return prev;
    const createdByUs =
      result.type === 'created' || prev?.owned === true || (prev?.status === 'pending' && prev.intent !== undefined);
    const firstSight = prev === undefined || prev.status === 'pending';
    const status: ResourceRecord['status'] =
      result.type === 'created' ? 'created' : firstSight ? (createdByUs ? 'created' : 'adopted') : result.type;
    const record: ResourceRecord = {
      status,
      owned: createdByUs,
      outputs: result.outputs,
      ...(prev?.secret ? { secret: prev.secret } : {}),
      updatedAt: new Date().toISOString(),
    };
    this.state.resources[id] = record;
    // The account step is the identity check of the whole state file.
    if (id === 'account' && typeof result.outputs['accountId'] === 'string')
      this.state.accountId = result.outputs['accountId'];
    await this.store.save(this.state);
    return record;
  }

  /**
   * Saves a secret the moment AWS hands it out (it is shown once): into this step's record,
   * beside its outputs, and to disk before anything else happens.
   */
  async saveSecret(id: string, { accessKeyId, secretAccessKey }: Secret): Promise<void> {
    const secret = { accessKeyId, secretAccessKey };
    const prev = this.record(id);
    const now = new Date().toISOString();
    this.state.resources[id] = prev
      ? { ...prev, secret, updatedAt: now }
      : { status: 'pending', owned: false, outputs: {}, secret, updatedAt: now };
    await this.store.save(this.state);
  }

  /** Records what became known after a step ran (a deployment finished), and saves. */
  async updateOutputs(id: string, patch: Record<string, unknown>): Promise<void> {
    const record = this.record(id);
    if (!record) return;
    this.state.resources[id] = {
      ...record,
      outputs: { ...record.outputs, ...patch },
      updatedAt: new Date().toISOString(),
    };
    await this.store.save(this.state);
  }

  /** teardown: the resource is removed (or was already gone); its record, secret included, goes. */
  async forget(id: string): Promise<void> {
    if (!(id in this.state.resources)) return;
    delete this.state.resources[id];
    await this.store.save(this.state);
  }

  /** teardown: AWS is still removing it (a distribution being disabled); the next teardown finishes. */
  async markDisabling(id: string): Promise<void> {
    const record = this.record(id);
    if (!record || record.status === 'disabling') return;
    this.state.resources[id] = { ...record, status: 'disabling', updatedAt: new Date().toISOString() };
    await this.store.save(this.state);
  }

  async save(): Promise<void> {
    await this.store.save(this.state);
  }
}
