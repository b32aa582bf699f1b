// References between the rows of one file (a log file, or a checkpoint). Stored records share
// objects: a job's version list holds the job row itself, an allocation embeds the job version it
// was placed from. Written whole, each row repeats them; here an object is written once per file,
// numbered, and every later row of the same file that holds the same object (by identity: stored
// objects are replaced, never changed, so the same object is the same content) writes only its
// number. Which slots hold what is driven by the row, not by its table: the value itself, the
// elements of an array row, and the object- and array-valued fields of an object row.
//
// A change with references is [table, key, value, slots]: `slots` is a flat list of pairs (slot,
// code). A slot is -1 (the value itself), an index (an element of an array row) or a field name (of
// an object row). A code >= 0 numbers the object written in that slot; a code < 0 says the slot
// holds null in the text and stands for object number -code-1, numbered earlier in the same file.
// Numbers never cross files, so a file replays on its own over any base (a fuzzy checkpoint's
// rows may be later than the log's start; the log's own objects are what its references name).

/**
 * One changed row: [table, key, value], [table, key, value, slots], [table, key, fields, slots,
 * drop] (an update: the fields that changed, the fields gone), or [table, key] for a deletion.
 */
export type Change = [string, string, unknown] | [string, string, unknown, (number | string)[]] | [string, string, unknown, (number | string)[], string[]] | [string, string];

/** An embedded object with at least this many fields gets a number of its own (a job; not a small resources block), as does a frozen (shared) one. */
const WIDE = 20;

const wide = (o: object): boolean => Object.keys(o).length >= WIDE;

const isObject = (v: unknown): v is object => typeof v === 'object' && v !== null;
const isPlain = (v: object): boolean => {
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

/** The writing side: which objects this file holds already, and their numbers. */
export class RefWriter {
  private ids = new WeakMap<object, number>();
  private next = 0;
  /** Each row's value as this file last wrote it (per table), to write the next one as the fields that changed. */
  private last: Map<string, Map<string, object>> | null;
  /** No record of this file is encoded yet (the first one carries the format). */
  fresh = true;

  /** `patches`: an update of a row this file wrote writes only its changed fields (the log; a checkpoint writes each row once). */
  constructor(patches = true) {
    this.last = patches ? new Map() : null;
  }

  /** A record that was numbered but never written (its encoding failed): no later one may build on it. */
  forget(): void {
    this.ids = new WeakMap();
    if (this.last) this.last = new Map();
  }

  /** A whole-state record starts (its replay starts from nothing): every row is written whole. */
  startFull(): void {
    if (this.last) this.last = new Map();
  }

  /** A deleted row: its next value is written whole. */
  deleted(table: string, key: string): void {
    this.last?.get(table)?.delete(key);
  }

  change(table: string, key: string, value: unknown): Change {
    if (!isObject(value)) {
      this.deleted(table, key);
      return [table, key, value];
    }
    let rows: Map<string, object> | undefined;
    let base: object | undefined;
    if (this.last) {
      rows = this.last.get(table);
      if (!rows) this.last.set(table, (rows = new Map()));
      base = rows.get(key);
      rows.set(key, value);
    }
    const ids = this.ids;
    const whole = ids.get(value);
    if (whole !== undefined) return [table, key, null, [-1, -whole - 1]];
    if (Array.isArray(value)) {
      let slots: (number | string)[] | null = null;
      let out: unknown[] = value;
      for (let i = 0; i < value.length; i++) {
        const e: unknown = value[i];
        if (!isObject(e)) continue;
        const id = ids.get(e);
        if (id !== undefined) {
          if (out === value) out = value.slice();
          out[i] = null;
          (slots ??= []).push(i, -id - 1);
        } else {
          ids.set(e, this.next);
          (slots ??= []).push(i, this.next++);
        }
      }
      return slots ? [table, key, out, slots] : [table, key, value];
    }
    const slots: (number | string)[] = [];
    if (!isPlain(value)) {
      // Not a plain object (a class with its own toJSON, say): numbered whole, its fields left alone.
      ids.set(value, this.next);
      slots.push(-1, this.next++);
      return [table, key, value, slots];
    }
    const row = value as Record<string, unknown>;
    const diff = base && isPlain(base) ? changedFields(row, base as Record<string, unknown>) : null;
    const out = this.fields(diff ? diff.fields : row, diff !== null, slots);
    ids.set(value, this.next);
    slots.push(-1, this.next++);
    return diff ? [table, key, out, slots, diff.drop] : [table, key, out, slots];
  }

  /** Refers to the fields' objects this file holds (and numbers the wide or frozen ones it does not); `own`: `fields` may be changed in place. */
  private fields(fields: Record<string, unknown>, own: boolean, slots: (number | string)[]): Record<string, unknown> {
    const ids = this.ids;
    let out = fields;
    const keys = Object.keys(fields);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      const p = fields[k];
      if (!isObject(p) || k === '__proto__') continue;
      const id = ids.get(p);
      if (id !== undefined) {
        if (out === fields && !own) out = { ...fields };
        out[k] = null;
        slots.push(k, -id - 1);
      } else if (Object.isFrozen(p) || (!Array.isArray(p) && wide(p))) {
        // Frozen: a part the store shares between records by content (state/share.ts: the task
        // groups of jobs registered from one spec, an alloc's resources), so likely met again.
        ids.set(p, this.next);
        slots.push(k, this.next++);
      }
    }
    return out;
  }
}

/**
 * What changed from `base` to `row`: the fields set anew (by identity: an unchanged field holds the
 * same value) and the fields gone. Null when the row is better written whole: its fields are in
 * another order than base's (a replay rebuilds base's order, then the new fields), one holds
 * something JSON leaves out (undefined), or nothing would be saved.
 */
function changedFields(row: Record<string, unknown>, base: Record<string, unknown>): { fields: Record<string, unknown>; drop: string[] } | null {
  const nk = Object.keys(row);
  const ok = Object.keys(base);
  const fields: Record<string, unknown> = {};
  const drop: string[] = [];
  let n = 0;
  let j = 0;
  for (let i = 0; i < ok.length; i++) {
    const k = ok[i]!;
    if (j < nk.length && nk[j] === k) {
      const v = row[k];
      if (v === undefined || typeof v === 'function' || k === '__proto__') return null;
      if (v !== base[k]) {
        fields[k] = v;
        n++;
      }
      j++;
    } else if (Object.hasOwn(row, k)) return null;
    else drop.push(k);
  }
  for (; j < nk.length; j++) {
    const k = nk[j]!;
    const v = row[k];
    if (Object.hasOwn(base, k) || v === undefined || typeof v === 'function' || k === '__proto__') return null;
    fields[k] = v;
    n++;
  }
  return n < nk.length ? { fields, drop } : null;
}

export class RefError extends Error {}

/** The reading side: the objects a file numbered so far. */
export class RefReader {
  private objs = new Map<number, object>();

  /**
   * The value of a change with slots, its references resolved and its objects numbered. With
   * `base` (the row's value before), `value` holds the fields that changed and `drop` the fields gone.
   */
  value(value: unknown, slots: unknown, base?: unknown, drop?: unknown): unknown {
    if (!Array.isArray(slots) || slots.length % 2 !== 0) throw new RefError('a change has a malformed slot list');
    for (let i = 0; i < slots.length; i += 2) if (slots[i] !== -1) this.slot(value, slots[i], slots[i + 1]);
    if (base !== undefined) {
      if (!isObject(base) || !isPlain(base)) throw new RefError('a change updates a row the file holds no object for');
      if (!isObject(value) || Array.isArray(value) || !Array.isArray(drop) || !drop.every((k) => typeof k === 'string')) throw new RefError('a change has a malformed update');
      const fields = value as Record<string, unknown>;
      const gone = new Set(drop as string[]);
      const entries: [string, unknown][] = [];
      for (const [k, v] of Object.entries(base)) if (!gone.has(k)) entries.push([k, Object.hasOwn(fields, k) ? fields[k] : v]);
      for (const k of Object.keys(fields)) if (!Object.hasOwn(base, k)) entries.push([k, fields[k]]);
      // fromEntries defines each field (a "__proto__" key stays a field).
      value = Object.fromEntries(entries);
    }
    for (let i = 0; i < slots.length; i += 2) {
      if (slots[i] !== -1) continue;
      const n = this.code(slots[i + 1]);
      if (n < 0) {
        if (value !== null) throw new RefError(`a change refers to object ${-n - 1} as its value but holds one`);
        value = this.target(n);
      } else {
        if (!isObject(value)) throw new RefError('a change numbers a value that is no object');
        this.objs.set(n, value);
      }
    }
    return value;
  }

  private code(code: unknown): number {
    if (!Number.isSafeInteger(code)) throw new RefError(`a change has an invalid object number ${JSON.stringify(code)}`);
    return code as number;
  }

  private target(n: number): object {
    const target = this.objs.get(-n - 1);
    if (target === undefined) throw new RefError(`a change refers to object ${-n - 1}, which nothing earlier in the file numbered`);
    return target;
  }

  /** One element or field of the value: a reference resolved, or an object numbered. */
  private slot(value: unknown, slot: unknown, code: unknown): void {
    const n = this.code(code);
    let holder: Record<string | number, unknown>;
    if (typeof slot === 'number' && Array.isArray(value) && Number.isSafeInteger(slot) && slot >= 0 && slot < value.length) holder = value as unknown as Record<number, unknown>;
    else if (typeof slot === 'string' && slot !== '__proto__' && isObject(value) && !Array.isArray(value) && Object.hasOwn(value, slot)) holder = value as Record<string, unknown>;
    else throw new RefError(`a change has no slot ${JSON.stringify(slot)}`);
    if (n < 0) {
      if (holder[slot] !== null) throw new RefError(`a change refers to object ${-n - 1} from a slot ${JSON.stringify(slot)} that holds a value`);
      holder[slot] = this.target(n);
    } else {
      const o = holder[slot];
      if (!isObject(o)) throw new RefError(`a change numbers a slot ${JSON.stringify(slot)} that holds no object`);
      this.objs.set(n, o);
    }
  }
}
