// The Audit page's checker: verifies an audit export on proofs (`ledgerctl report audit
// --proofs`, ledger/FORMAT.md "Audit export on proofs") in the browser with WebCrypto only
// (Ed25519 for the C2SP signed notes, SHA-256 for leaves and RFC 9162 proofs), against a
// checkpoint and a verifier key the auditor pastes. It asks the server nothing: the same
// checks as tools/verify_audit.py, written again here so that a browser needs no other
// program. No DOM; console.js shows what it returns. Also read by node (globalThis).
'use strict';
(() => {
  const SCHEMA = globalThis.SIXHEARTS_EVENT_SCHEMA;
  const LEAF_PREFIX = Uint8Array.of(0);
  const NODE_PREFIX = Uint8Array.of(1);
  const utf8 = new TextEncoder();
  const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
  // Stored sealed (opened or "[erased]" when shown): not provable from the bytes.
  const SEALED_CONTACT_FIELDS = new Set(['name', 'phone', 'email', 'erased', 'sealed']);
  const ENVELOPE_FIELDS = ['position', 'stream', 'event_id', 'type', 'stream_version',
    'previous_stream_position', 'occurred_at', 'recorded_at', 'actor'];

  // A check that failed: the position (0: the export as a whole) and what is wrong.
  class Failure extends Error {
    constructor(position, problem) {
      super(problem);
      this.position = position;
      this.problem = problem;
    }
  }

  // ---- bytes ---------------------------------------------------------------------------
  function fromBase64(text) {
    const binary = atob(text);
    const out = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
    return out;
  }
  function toBase64(bytes) {
    let binary = '';
    for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary);
  }
  const toHex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  function fromHex(text) {
    const out = new Uint8Array(text.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
    return out;
  }
  // A 32-byte hash given as hex in the export.
  function hash32(text, position, what) {
    if (typeof text !== 'string' || !/^[0-9a-fA-F]{64}$/.test(text)) {
      throw new Failure(position, `${what} is not 32 bytes of hex`);
    }
    return fromHex(text);
  }
  function concat(...parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
  const sha256 = async (...parts) => new Uint8Array(await crypto.subtle.digest('SHA-256', concat(...parts)));
  const equalBytes = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

  // ---- signed notes (C2SP signed-note, tlog-checkpoint) --------------------------------
  // NAME+HEXKEYID+BASE64(0x01 || Ed25519 public key), from `ledgerctl verifier-key`.
  async function parseVerifierKey(text) {
    const trimmed = (text || '').trim();
    const first = trimmed.indexOf('+');
    const second = trimmed.indexOf('+', first + 1);
    if (first <= 0 || second < 0) throw new Failure(0, 'verifier key: expected NAME+KEYID+KEY (ledgerctl verifier-key)');
    const name = trimmed.slice(0, first);
    const keyIdHex = trimmed.slice(first + 1, second);
    let raw;
    try {
      raw = fromBase64(trimmed.slice(second + 1));
    } catch (e) {
      throw new Failure(0, 'verifier key: the key is not base64');
    }
    if (raw.length !== 33 || raw[0] !== 1) throw new Failure(0, 'verifier key: not an Ed25519 note key (0x01 and 32 bytes)');
    if (!/^[0-9a-fA-F]{8}$/.test(keyIdHex)) throw new Failure(0, 'verifier key: the key id is not 8 hex digits');
    const keyId = fromHex(keyIdHex);
    if (!equalBytes((await sha256(utf8.encode(name + '\n'), raw)).slice(0, 4), keyId)) {
      throw new Failure(0, 'verifier key: the key id does not match the key');
    }
    let key;
    try {
      key = await crypto.subtle.importKey('raw', raw.slice(1), { name: 'Ed25519' }, false, ['verify']);
    } catch (e) {
      throw new Failure(0, `this browser's WebCrypto has no Ed25519 (${e.message}); use tools/verify_audit.py`);
    }
    return { name, keyId, key };
  }

  // A pasted note: CRLF made LF, surrounding blank space dropped, one final newline.
  const normalizeNote = (note) => (note || '').replace(/\r\n/g, '\n').trim() + '\n';

  // Origin, tree size and root of a checkpoint, its signature not checked.
  function parseCheckpoint(note, what) {
    const text = normalizeNote(note);
    const split = text.lastIndexOf('\n\n');
    if (split < 0) throw new Failure(0, `${what} is not a signed note`);
    const body = text.slice(0, split + 1);
    const lines = body.split('\n');
    if (lines.length < 4 || !/^\d+$/.test(lines[1])) throw new Failure(0, `${what} is not a checkpoint (origin, size, root)`);
    let root;
    try {
      root = fromBase64(lines[2]);
    } catch (e) {
      throw new Failure(0, `${what}: the root hash is not base64`);
    }
    if (root.length !== 32) throw new Failure(0, `${what}: the root hash is not 32 bytes`);
    return { origin: lines[0], size: Number(lines[1]), root, body, signatures: text.slice(split + 2), note: text };
  }

  // Checks the note's signature by `key`; its origin, size and root.
  async function openCheckpoint(note, key, what) {
    const checkpoint = parseCheckpoint(note, what);
    let verified = false;
    for (const line of checkpoint.signatures.split('\n')) {
      if (line === '') continue;
      if (!line.startsWith('\u2014 ')) throw new Failure(0, `${what} has a malformed signature line`);
      const rest = line.slice(2);
      const space = rest.indexOf(' ');
      if (space < 0 || rest.slice(0, space) !== key.name) continue;
      let raw;
      try {
        raw = fromBase64(rest.slice(space + 1));
      } catch (e) {
        throw new Failure(0, `${what} has a malformed signature line`);
      }
      if (raw.length !== 68 || !equalBytes(raw.slice(0, 4), key.keyId)) continue;
      if (!await crypto.subtle.verify({ name: 'Ed25519' }, key.key, raw.slice(4), utf8.encode(checkpoint.body))) {
        throw new Failure(0, `the signature of ${what} by ${key.name} does not verify`);
      }
      verified = true;
    }
    if (!verified) throw new Failure(0, `${what} carries no signature by ${key.name}`);
    return checkpoint;
  }

  // ---- RFC 9162 proofs -----------------------------------------------------------------
  const nodeHash = (left, right) => sha256(NODE_PREFIX, left, right);
  const half = (n) => Math.floor(n / 2);
  const odd = (n) => n % 2 === 1;

  // 2.1.3.2: the leaf at `index` is in the tree of `size` with `root`.
  async function verifyInclusion(index, size, leaf, path, root) {
    if (index >= size) return false;
    let fn = index;
    let sn = size - 1;
    let r = leaf;
    for (const p of path) {
      if (sn === 0) return false;
      if (odd(fn) || fn === sn) {
        r = await nodeHash(p, r);
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      } else {
        r = await nodeHash(r, p);
      }
      fn = half(fn);
      sn = half(sn);
    }
    return sn === 0 && equalBytes(r, root);
  }

  // 2.1.4.2: the tree of `first` is a prefix of the tree of `second`; equal sizes need
  // equal roots, and the empty tree precedes every tree.
  async function verifyConsistency(first, second, firstRoot, secondRoot, path) {
    if (first > second) return false;
    if (first === second) return path.length === 0 && equalBytes(firstRoot, secondRoot);
    if (first === 0) return path.length === 0;
    if (path.length === 0) return false;
    const powerOfTwo = Number.isInteger(Math.log2(first));
    const nodes = powerOfTwo ? [firstRoot, ...path] : [...path];
    let fn = first - 1;
    let sn = second - 1;
    while (odd(fn)) {
      fn = half(fn);
      sn = half(sn);
    }
    let fr = nodes[0];
    let sr = nodes[0];
    for (const c of nodes.slice(1)) {
      if (sn === 0) return false;
      if (odd(fn) || fn === sn) {
        fr = await nodeHash(c, fr);
        sr = await nodeHash(c, sr);
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      } else {
        sr = await nodeHash(sr, c);
      }
      fn = half(fn);
      sn = half(sn);
    }
    return equalBytes(fr, firstRoot) && equalBytes(sr, secondRoot) && sn === 0;
  }

  // ---- the protobuf wire format, by the schema of event_schema.js -----------------------
  function readVarint(data, offset) {
    let value = 0n;
    let shift = 0n;
    for (;;) {
      if (offset >= data.length || shift > 63n) throw new Error('truncated varint');
      const byte = data[offset++];
      value |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return [BigInt.asUintN(64, value), offset];
      shift += 7n;
    }
  }
  // [field number, wire type, value] of one message: varints as BigInt, LEN as bytes.
  function* fields(data) {
    let offset = 0;
    while (offset < data.length) {
      let key;
      [key, offset] = readVarint(data, offset);
      const number = Number(key >> 3n);
      const wire = Number(key & 7n);
      let value;
      if (wire === 0) {
        [value, offset] = readVarint(data, offset);
      } else if (wire === 2) {
        let length;
        [length, offset] = readVarint(data, offset);
        if (offset + Number(length) > data.length) throw new Error('truncated field');
        value = data.subarray(offset, offset + Number(length));
        offset += Number(length);
      } else if (wire === 1 || wire === 5) {
        const size = wire === 1 ? 8 : 4;
        if (offset + size > data.length) throw new Error('truncated field');
        value = data.subarray(offset, offset + size);
        offset += size;
      } else {
        throw new Error(`unknown wire type ${wire}`);
      }
      yield [number, wire, value];
    }
  }
  function timestampOf(data) {
    let seconds = 0n;
    let nanos = 0;
    for (const [number, wire, value] of fields(data)) {
      if (wire !== 0) continue;
      if (number === 1) seconds = BigInt.asIntN(64, value);
      else if (number === 2) nanos = Number(value);
    }
    return { seconds, nanos };
  }
  // RFC 3339 in UTC with Z and no trailing zeros, as ledgerctl writes it.
  function formatTimestamp(t) {
    const text = new Date(Number(t.seconds) * 1000).toISOString().slice(0, 19);
    return text + (t.nanos ? '.' + String(t.nanos).padStart(9, '0').replace(/0+$/, '') : '') + 'Z';
  }
  // RFC 3339 with Z, as protobuf JSON writes it; null when it is not one.
  function parseJsonTimestamp(text) {
    if (typeof text !== 'string' || !text.endsWith('Z')) return null;
    const [main, fraction] = text.slice(0, -1).split('.');
    const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/.exec(main);
    if (!m || (fraction !== undefined && !/^\d{1,9}$/.test(fraction))) return null;
    const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
    return { seconds: BigInt(ms / 1000), nanos: fraction ? Number((fraction + '000000000').slice(0, 9)) : 0 };
  }

  function decodeValue(kind, wire, value) {
    const needs = (want) => {
      if (wire !== want) throw new Error(`a ${kind} with wire type ${wire}`);
    };
    if (SCHEMA.messages[kind]) {
      needs(2);
      return decodeMessage(value, kind);
    }
    switch (kind) {
      case 'google.protobuf.Timestamp': needs(2); return timestampOf(value);
      case 'string': needs(2); return strictUtf8.decode(value);
      case 'bytes': needs(2); return toBase64(value);
      case 'bool': needs(0); return value !== 0n;
      case 'int64': case 'int32': needs(0); return BigInt.asIntN(64, value);
      case 'uint64': case 'uint32': needs(0); return value;
      default:
        if (!SCHEMA.enums[kind]) throw new Error(`unknown type ${kind}`);
        needs(0);
        return SCHEMA.enums[kind][String(value)] ?? value;
    }
  }
  // The message as {field name: value}, the way protobuf JSON shows it before formatting.
  function decodeMessage(data, name) {
    const schema = SCHEMA.messages[name];
    const out = {};
    for (const [number, wire, value] of fields(data)) {
      const field = schema[number];
      if (!field) throw new Error(`field ${number} is not in ${name}`);
      const [fieldName, kind, repeated] = field;
      const scalar = !SCHEMA.messages[kind] && !['string', 'bytes', 'google.protobuf.Timestamp'].includes(kind);
      if (repeated && wire === 2 && scalar) {
        const items = out[fieldName] || (out[fieldName] = []);
        for (let offset = 0; offset < value.length;) {
          let item;
          [item, offset] = readVarint(value, offset);
          items.push(decodeValue(kind, 0, item));
        }
      } else if (repeated) {
        (out[fieldName] || (out[fieldName] = [])).push(decodeValue(kind, wire, value));
      } else {
        out[fieldName] = decodeValue(kind, wire, value);
      }
    }
    return out;
  }
  // "client_registered" -> "ClientRegistered": the payload's type name.
  const typeOf = (decoded) => {
    for (const [number, [fieldName]] of Object.entries(SCHEMA.messages.Event)) {
      if (Number(number) >= 20 && decoded[fieldName] !== undefined) {
        return fieldName.split('_').map((w) => w[0].toUpperCase() + w.slice(1)).join('');
      }
    }
    return null;
  };

  // ---- the readable event against the decoded one --------------------------------------
  const shownAs = (v) => (v === undefined ? 'nothing' : JSON.stringify(v));
  const decodedAs = (v) => (v === undefined || v === null ? 'nothing' : typeof v === 'bigint' ? String(v)
    : typeof v === 'object' && 'seconds' in v ? formatTimestamp(v) : JSON.stringify(v));
  // A decoded value as the table of checked fields shows it.
  const display = (v) => (typeof v === 'string' ? v : decodedAs(v));

  // Every field of `shown` equals the field decoded from the bytes; `checked` collects
  // [path, decoded, shown] of each scalar compared.
  function compareMessage(name, decoded, shown, path, position, checked) {
    if (shown === null || typeof shown !== 'object' || Array.isArray(shown)) {
      throw new Failure(position, `${path} is shown as ${shownAs(shown)}, not an object`);
    }
    const schema = {};
    for (const [fieldName, kind, repeated] of Object.values(SCHEMA.messages[name])) schema[fieldName] = [kind, repeated];
    const keys = [...new Set([...Object.keys(decoded), ...Object.keys(shown)])].sort();
    for (const key of keys) {
      const here = `${path}.${key}`;
      if (name === 'Contact' && SEALED_CONTACT_FIELDS.has(key)) continue;
      // Free text stored sealed (ledger/FORMAT.md "Personal data"): the bytes hold only
      // sealed_<key>, the export shows it opened or "[erased]"; neither is provable.
      if (key.startsWith('sealed_') || decoded['sealed_' + key] !== undefined) continue;
      if (name === 'Event' && key === 'hash') continue; // the chain hash, set on read
      if (!schema[key]) throw new Failure(position, `${here} is shown but the event has no such field`);
      const [kind, repeated] = schema[key];
      if (repeated) {
        const want = decoded[key] || [];
        const got = shown[key] ?? [];
        if (!Array.isArray(got) || got.length !== want.length) {
          throw new Failure(position, `${here} shown with ${Array.isArray(got) ? got.length : 'no'} items but the event bytes have ${want.length}`);
        }
        want.forEach((w, i) => compareValue(kind, w, got[i], `${here}[${i}]`, position, checked));
      } else {
        compareValue(kind, decoded[key], shown[key], here, position, checked);
      }
    }
  }

  function compareValue(kind, want, got, path, position, checked) {
    if (SCHEMA.messages[kind]) {
      if (want === undefined && (got === undefined || got === null || (typeof got === 'object' && Object.keys(got).length === 0))) return;
      compareMessage(kind, want || {}, got ?? {}, path, position, checked);
      return;
    }
    const mismatch = () => new Failure(position, `${path} shown as ${shownAs(got)} but the event bytes say ${decodedAs(want)}`);
    if (kind === 'google.protobuf.Timestamp') {
      if (want === undefined && (got === undefined || got === null)) return;
      const parsed = parseJsonTimestamp(got);
      if (!want || !parsed || want.seconds !== parsed.seconds || want.nanos !== parsed.nanos) throw mismatch();
      checked.push([path, formatTimestamp(want), got]);
      return;
    }
    if (['int64', 'int32', 'uint64', 'uint32'].includes(kind)) {
      const wantNumber = want ?? 0n;
      let gotNumber = null;
      if (got === undefined || got === null) gotNumber = 0n;
      else if (typeof got === 'number' && Number.isInteger(got)) gotNumber = BigInt(got);
      else if (typeof got === 'string' && /^-?\d+$/.test(got)) gotNumber = BigInt(got);
      if (gotNumber !== wantNumber) throw mismatch();
      checked.push([path, String(wantNumber), got ?? '(default)']);
      return;
    }
    let fallback = { string: '', bytes: '', bool: false }[kind];
    if (SCHEMA.enums[kind]) fallback = SCHEMA.enums[kind]['0'];
    const w = want ?? fallback;
    const g = got ?? fallback;
    if (String(w) !== String(g) || typeof g !== typeof w) {
      if (!(typeof w === 'bigint' && typeof g === 'number' && String(w) === String(g))) throw mismatch();
    }
    checked.push([path, display(want ?? fallback), got ?? '(default)']);
  }

  // ---- the export ----------------------------------------------------------------------
  const dayStart = (iso) => {
    if (typeof iso !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(iso)) throw new Failure(0, `the period's day ${shownAs(iso)} is not YYYY-MM-DD`);
    return BigInt(Date.parse(iso + 'T00:00:00Z') / 1000);
  };
  const before = (a, b) => a.seconds < b.seconds || (a.seconds === b.seconds && a.nanos < b.nanos);

  // One listed event's bytes and the leaf they hash to.
  async function bytesOf(record, position) {
    let data;
    try {
      data = fromBase64(record.event_base64);
    } catch (e) {
      throw new Failure(position, 'event_base64 is not base64');
    }
    return { data, leaf: await sha256(LEAF_PREFIX, data) };
  }

  // The event decoded from its bytes, and its envelope as the export lists it.
  function decodeEvent(data, position) {
    let decoded;
    try {
      decoded = decodeMessage(data, 'Event');
    } catch (e) {
      throw new Failure(position, `the event bytes do not parse: ${e.message}`);
    }
    const zero = { seconds: 0n, nanos: 0 };
    const envelope = {
      position: decoded.position ?? 0n, stream: decoded.stream ?? '', event_id: decoded.event_id ?? '',
      type: typeOf(decoded), stream_version: decoded.stream_version ?? 0n,
      previous_stream_position: decoded.previous_stream_position ?? 0n,
      occurred_at: formatTimestamp(decoded.occurred_at ?? zero), recorded_at: formatTimestamp(decoded.recorded_at ?? zero),
      actor: decoded.actor ?? '',
    };
    return { decoded, envelope, occurred: decoded.occurred_at ?? zero };
  }

  // The envelope and every readable field, payload included, against the bytes; the period.
  function checkFields(doc, record, position, period, row, event) {
    const { decoded, envelope, occurred } = event;
    const shown = { ...record, position };
    for (const key of ENVELOPE_FIELDS) {
      const want = envelope[key];
      const got = shown[key];
      const same = typeof want === 'bigint' ? (Number.isInteger(got) && BigInt(got) === want) : got === want;
      if (!same) throw new Failure(position, `${key} shown as ${shownAs(got)} but the event bytes say ${decodedAs(want)}`);
      row.checked.push([key, display(want), got]);
    }
    if (envelope.stream !== doc.stream) {
      throw new Failure(position, `the event belongs to stream ${JSON.stringify(envelope.stream)}, not ${JSON.stringify(doc.stream)}`);
    }
    if (record.event === null || typeof record.event !== 'object') throw new Failure(position, 'the readable event is missing');
    compareMessage('Event', decoded, record.event, 'event', position, row.checked);
    const inPeriod = !before(occurred, period[0]) && before(occurred, period[1]);
    if (Boolean(record.in_period) !== inPeriod) {
      throw new Failure(position, `in_period shown as ${record.in_period} but the event occurred at ${envelope.occurred_at}`);
    }
    row.inPeriod = inPeriod;
    row.fields = true;
  }

  // Verifies `exportText` (the JSON of `ledgerctl report audit --proofs`) with the
  // verifier key and against the checkpoint the auditor trusts. Never throws: returns
  // {ok, failure: {position, problem} | null, checks: [{what, ok, detail}], rows: [...],
  // summary} where each row is one listed event and what was checked of it.
  async function verifyExport({ exportText, verifierKey, trustedCheckpoint }) {
    const result = { ok: false, failure: null, checks: [], rows: [], summary: '' };
    const problems = [];
    const fail = (error) => {
      if (!(error instanceof Failure)) error = new Failure(0, `the export is malformed: ${error.message}`);
      problems.push(error);
      return error;
    };
    const check = async (what, fn) => {
      try {
        const detail = await fn();
        result.checks.push({ what, ok: true, detail });
        return true;
      } catch (error) {
        result.checks.push({ what, ok: false, detail: fail(error).problem });
        return false;
      }
    };
    if (!globalThis.crypto || !crypto.subtle) {
      result.failure = { position: 0, problem: 'no WebCrypto here (the page needs a secure context: https, or http on localhost)' };
      result.summary = 'FAILED: ' + result.failure.problem;
      return result;
    }
    let doc;
    let key;
    let tree;
    let trusted;
    try {
      doc = JSON.parse(exportText);
      if (!doc || doc.audit_export !== 1) throw new Failure(0, 'not an audit export (no "audit_export": 1)');
      if (doc.proofs !== true) throw new Failure(0, 'not an export on proofs: export with ledgerctl report audit --proofs');
      if (!Array.isArray(doc.records)) throw new Failure(0, 'the export has no records');
    } catch (error) {
      fail(error instanceof SyntaxError ? new Failure(0, `the export is not JSON: ${error.message}`) : error);
      return finish(result, problems, doc);
    }
    if (!await check('your verifier key', async () => {
      key = await parseVerifierKey(verifierKey);
      return `${key.name}, key id ${toHex(key.keyId)}, Ed25519`;
    })) return finish(result, problems, doc);
    await check("the export's checkpoint is signed by your key", async () => {
      tree = await openCheckpoint(doc.checkpoint, key, "the export's checkpoint");
      if (tree.size !== Number(doc.tree_size) || toHex(tree.root) !== doc.tree_root) {
        throw new Failure(0, `the export's tree (size ${doc.tree_size}, root ${doc.tree_root}) is not its signed checkpoint's (size ${tree.size}, root ${toHex(tree.root)})`);
      }
      return `${tree.origin}, tree size ${tree.size}, root ${toHex(tree.root)}`;
    });
    await check('your checkpoint is signed by your key', async () => {
      if (!(trustedCheckpoint || '').trim()) throw new Failure(0, 'no checkpoint of yours given (ledgerctl checkpoint -o last.checkpoint, kept from before)');
      trusted = await openCheckpoint(trustedCheckpoint, key, 'your checkpoint');
      return `${trusted.origin}, tree size ${trusted.size}, root ${toHex(trusted.root)}`;
    });
    if (tree && trusted) {
      await check("the export's log extends your checkpoint", async () => {
        let fork = null;
        if (trusted.size > tree.size) {
          fork = `your checkpoint is of a larger tree (${trusted.size}) than the export's (${tree.size})`;
        } else if (Number(doc.verified_position) !== trusted.size) {
          throw new Failure(0, `the export's consistency proof starts at tree size ${doc.verified_position}, your checkpoint is of size ${trusted.size}; export again with --verified-position ${trusted.size}`);
        } else {
          const path = (doc.consistency_path || []).map((h) => hash32(h, 0, 'consistency path'));
          if (!await verifyConsistency(trusted.size, tree.size, trusted.root, tree.root, path)) {
            fork = trusted.size === tree.size ? `two checkpoints of tree size ${tree.size} with different roots`
              : `the consistency proof from tree size ${trusted.size} to ${tree.size} does not hold`;
          }
        }
        if (fork) throw new Failure(0, `FORKED HISTORY: ${fork}`);
        return trusted.size === tree.size ? `the same tree (size ${tree.size}, equal roots)`
          : `consistency proof of ${(doc.consistency_path || []).length} hashes from tree size ${trusted.size} to ${tree.size}`;
      });
    }
    let period;
    try {
      period = [{ seconds: dayStart(doc.from), nanos: 0 }, { seconds: dayStart(doc.to) + 86400n, nanos: 0 }];
    } catch (error) {
      fail(error);
      return finish(result, problems, doc);
    }
    let previous = null; // [position, stream version] of the listed event before
    for (const record of doc.records) {
      const position = Number(record.position);
      const row = { position, type: record.type, eventId: record.event_id, leaf: false, inclusion: false,
        pathLength: (record.inclusion_path || []).length, fields: false, back: false, inPeriod: record.in_period,
        checked: [], problem: null };
      result.rows.push(row);
      // Each check of the event on its own, so the row shows which held; the row's
      // problem is the first that failed.
      const attempt = async (fn) => {
        try {
          return (await fn()) ?? true;
        } catch (error) {
          const failure = fail(error);
          row.problem = row.problem || failure.problem;
          return null;
        }
      };
      if (!Number.isSafeInteger(position) || position < 1) {
        await attempt(() => { throw new Failure(0, `a record's position ${shownAs(record.position)} is not a position`); });
        previous = null;
        continue;
      }
      const bytes = await attempt(() => bytesOf(record, position));
      if (bytes) {
        row.leaf = Boolean(await attempt(() => {
          if (!equalBytes(bytes.leaf, hash32(record.leaf, position, 'leaf'))) {
            throw new Failure(position, `the event bytes do not hash to the leaf (recomputed ${toHex(bytes.leaf)})`);
          }
        }));
        if (tree) {
          row.inclusion = Boolean(await attempt(async () => {
            const path = (record.inclusion_path || []).map((h) => hash32(h, position, 'inclusion path'));
            if (!await verifyInclusion(position - 1, tree.size, bytes.leaf, path, tree.root)) {
              throw new Failure(position, "the inclusion proof does not lead to the checkpoint's root");
            }
          }));
        }
      }
      const event = bytes ? await attempt(() => decodeEvent(bytes.data, position)) : null;
      if (event) {
        row.type = event.envelope.type;
        row.eventId = event.envelope.event_id;
        await attempt(() => checkFields(doc, record, position, period, row, event));
        const back = event.envelope.previous_stream_position;
        const version = event.envelope.stream_version;
        row.back = Boolean(await attempt(() => {
          if (previous === null) {
            if (back >= BigInt(position)) throw new Failure(position, `the previous event of the stream is at position ${back}, not before it`);
          } else {
            if (back !== BigInt(previous[0])) throw new Failure(position, `the previous event of the stream is at position ${back}, but the export lists position ${previous[0]} before it`);
            if (version !== previous[1] + 1n) throw new Failure(position, `stream version ${version} does not follow version ${previous[1]}`);
          }
        }));
      }
      previous = event ? [position, event.envelope.stream_version] : null;
    }
    result.tree = tree;
    result.trusted = trusted;
    return finish(result, problems, doc);
  }

  function finish(result, problems, doc) {
    if (problems.length) {
      const first = problems[0];
      result.failure = { position: first.position, problem: first.problem };
      result.summary = first.position ? `FAILED at position ${first.position}: ${first.problem}` : `FAILED: ${first.problem}`;
      return result;
    }
    const inPeriod = result.rows.filter((r) => r.inPeriod).length;
    result.ok = true;
    result.summary = `OK: ${doc.stream}, ${result.rows.length} events with inclusion proofs (${inPeriod} in the period ` +
      `${doc.from}..${doc.to}) in the signed tree of size ${result.tree.size}; the log extends your checkpoint (tree size ${result.trusted.size})`;
    return result;
  }

  globalThis.SixheartsAudit = { verifyExport, parseCheckpoint, parseVerifierKey, openCheckpoint, toHex, Failure };
})();
