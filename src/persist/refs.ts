// References between the rows of one file (a log file, or a checkpoint). Stored records share
// objects: a job's version list holds the job row itself, an allocation embeds the job version it
// was placed from. Written whole, each row repeats them; here an object is written once per file,
// numbered, and every later row of the same file that holds the same object (by identity: stored
// objects are replaced, never changed, so the same object is the same content) writes only its
// number. Which slots hold what is driven by the row, not by its table: the value itself, the
// elements of an array row, and the object-valued fields of an object row.
//
// A change with references is [table, key, value, slots]: `slots` is a flat list of pairs (slot,
// code). A slot is -1 (the value itself), an index (an element of an array row) or a field name (of
// an object row). A code >= 0 numbers the object written in that slot; a code < 0 says the slot
// holds null in the text and stands for object number -code-1, numbered earlier in the same file.
// Numbers never cross files, so a file replays on its own over any base (a fuzzy checkpoint's
// rows may be later than the log's start; the log's own objects are what its references name).

/** One changed row: [table, key, value], [table, key, value, slots], or [table, key] for a deletion. */
export type Change = [string, string, unknown] | [string, string, unknown, (number | string)[]] | [string, string];

/** An embedded object with at least this many fields gets a number of its own (a job; not a small resources block). */
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
  /** No record of this file is encoded yet (the first one carries the format). */
  fresh = true;

  /** A record that was numbered but never written (its encoding failed): no later one may refer to what it numbered. */
  forget(): void {
    this.ids = new WeakMap();
  }

  change(table: string, key: string, value: unknown): Change {
    if (!isObject(value)) return [table, key, value];
    const ids = this.ids;
    const whole = ids.get(value);
    if (whole !== undefined) return [table, key, null, [-1, -whole - 1]];
    let slots: (number | string)[] | null = null;
    let out: unknown = value;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const e: unknown = value[i];
        if (!isObject(e)) continue;
        const id = ids.get(e);
        if (id !== undefined) {
          if (out === value) out = value.slice();
          (out as unknown[])[i] = null;
          (slots ??= []).push(i, -id - 1);
        } else {
          ids.set(e, this.next);
          (slots ??= []).push(i, this.next++);
        }
      }
    } else if (isPlain(value)) {
      const row = value as Record<string, unknown>;
      const keys = Object.keys(row);
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        const p = row[k];
        if (!isObject(p) || Array.isArray(p)) continue;
        const id = ids.get(p);
        if (id !== undefined) {
          if (out === value) out = { ...row };
          (out as Record<string, unknown>)[k] = null;
          (slots ??= []).push(k, -id - 1);
        } else if (wide(p)) {
          ids.set(p, this.next);
          (slots ??= []).push(k, this.next++);
        }
      }
      ids.set(value, this.next);
      (slots ??= []).push(-1, this.next++);
    } else {
      // Not a plain object (a class with its own toJSON, say): numbered whole, its fields left alone.
      ids.set(value, this.next);
      slots = [-1, this.next++];
    }
    return slots ? [table, key, out, slots] : [table, key, value];
  }
}

export class RefError extends Error {}

/** The reading side: the objects a file numbered so far. */
export class RefReader {
  private objs = new Map<number, object>();

  /** The value of a change with slots, its references resolved and its objects numbered. */
  value(value: unknown, slots: unknown): unknown {
    if (!Array.isArray(slots) || slots.length % 2 !== 0) throw new RefError('a change has a malformed slot list');
    for (let i = 0; i < slots.length; i += 2) {
      const slot: unknown = slots[i];
      const code: unknown = slots[i + 1];
      if (!Number.isSafeInteger(code)) throw new RefError(`a change has an invalid object number ${JSON.stringify(code)}`);
      const n = code as number;
      if (n < 0) {
        const target = this.objs.get(-n - 1);
        if (target === undefined) throw new RefError(`a change refers to object ${-n - 1}, which nothing earlier in the file numbered`);
        if (slot === -1 && value === null) value = target;
        else if (typeof slot === 'number' && Array.isArray(value) && value[slot] === null) value[slot] = target;
        else if (typeof slot === 'string' && isObject(value) && !Array.isArray(value) && (value as Record<string, unknown>)[slot] === null) (value as Record<string, unknown>)[slot] = target;
        else throw new RefError(`a change refers to object ${-n - 1} from a slot ${JSON.stringify(slot)} it does not have`);
      } else {
        const o: unknown = slot === -1 ? value : typeof slot === 'number' && Array.isArray(value) ? value[slot] : typeof slot === 'string' && isObject(value) && !Array.isArray(value) ? (value as Record<string, unknown>)[slot] : undefined;
        if (!isObject(o)) throw new RefError(`a change numbers a slot ${JSON.stringify(slot)} that holds no object`);
        this.objs.set(n, o);
      }
    }
    return value;
  }
}
