import { describe, expect, it } from 'vitest';
import { ProtobufDecodeError, readFields, readPackedVarints, toInt32, toInt64, toUtf8, WireReader } from './wire.js';
import { cat, fixed32, fixed64, str, varint, varintBytes } from './test-encoder.js';

const u8 = (...b: number[]): Uint8Array => Uint8Array.from(b);

describe('varint', () => {
  it.each([
    { bytes: [0x00], want: 0n },
    { bytes: [0x01], want: 1n },
    { bytes: [0x7f], want: 127n },
    { bytes: [0x80, 0x01], want: 128n },
    { bytes: [0xac, 0x02], want: 300n },
    { bytes: [0xff, 0xff, 0xff, 0xff, 0x0f], want: 0xffffffffn },
    { bytes: [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], want: 0xffffffffffffffffn },
  ])('reads $want', ({ bytes, want }) => {
    const r = new WireReader(Uint8Array.from(bytes));
    expect(r.varint()).toBe(want);
    expect(r.done()).toBe(true);
  });

  it.each([0, 1, 150, 2 ** 31 - 1, -1, -(2 ** 31), 2 ** 53 - 1])('round-trips %d through the test encoder', (n) => {
    const v = new WireReader(varintBytes(n)).varint();
    expect(Number(BigInt.asIntN(64, v))).toBe(n);
  });

  it('sign-extended negative int32 (10 bytes, as Go writes it) reads back negative', () => {
    expect(varintBytes(-5)).toHaveLength(10);
    expect(toInt32(new WireReader(varintBytes(-5)).varint())).toBe(-5);
  });
});

describe('readFields', () => {
  it('splits a message into records of every wire type, in order', () => {
    const buf = cat(varint(1, 150), str(2, 'hi'), fixed32(3, [1, 0, 0, 0]), fixed64(4, [1, 2, 3, 4, 5, 6, 7, 8]), varint(1, 7));
    const fields = readFields(buf);
    expect(fields.map((f) => [f.number, f.wireType])).toEqual([
      [1, 'varint'],
      [2, 'bytes'],
      [3, 'fixed32'],
      [4, 'fixed64'],
      [1, 'varint'],
    ]);
    expect(fields[0]!.value).toBe(150n);
    expect(toUtf8(fields[1]!.value as Uint8Array)).toBe('hi');
    expect([...(fields[3]!.value as Uint8Array)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('reads large field numbers', () => {
    expect(readFields(varint(536870911, 1))[0]!.number).toBe(536870911);
  });

  it('an empty buffer is an empty message', () => {
    expect(readFields(new Uint8Array(0))).toEqual([]);
  });

  it.each([
    { name: 'truncated varint', bytes: [0x08, 0x80], error: /truncated varint at byte 1/ },
    { name: 'truncated tag', bytes: [0x80], error: /truncated varint at byte 0/ },
    { name: 'varint longer than 10 bytes', bytes: [0x08, ...Array<number>(10).fill(0xff), 0x01], error: /longer than 10 bytes/ },
    { name: 'length beyond the end', bytes: [0x12, 0x05, 0x61], error: /field 2 .*declares 5 bytes, 1 left/ },
    { name: 'huge length', bytes: [0x12, 0xff, 0xff, 0xff, 0xff, 0x0f], error: /declares 4294967295 bytes/ },
    { name: 'truncated fixed32', bytes: [0x1d, 0x01, 0x02], error: /truncated 32-bit field 3/ },
    { name: 'truncated fixed64', bytes: [0x21, 0x01], error: /truncated 64-bit field 4/ },
    { name: 'start group', bytes: [0x0b], error: /group encoding/ },
    { name: 'end group', bytes: [0x0c], error: /group encoding/ },
    { name: 'wire type 6', bytes: [0x0e], error: /invalid wire type 6/ },
    { name: 'wire type 7', bytes: [0x0f], error: /invalid wire type 7/ },
    { name: 'field number 0', bytes: [0x00, 0x01], error: /invalid field number 0/ },
    { name: 'field number above 2^29-1', bytes: [...varintBytes(2n ** 29n << 3n)], error: /invalid field number/ },
  ])('$name → ProtobufDecodeError', ({ bytes, error }) => {
    const run = (): unknown => readFields(Uint8Array.from(bytes));
    expect(run).toThrow(ProtobufDecodeError);
    expect(run).toThrow(error);
  });

  it('payloads are views of the input, not copies', () => {
    const buf = str(1, 'abc');
    const f = readFields(buf)[0]!;
    expect((f.value as Uint8Array).buffer).toBe(buf.buffer);
  });
});

describe('readPackedVarints', () => {
  it('reads a run of varints', () => {
    expect(readPackedVarints(cat(varintBytes(1), varintBytes(300), varintBytes(-1)))).toEqual([1n, 300n, 0xffffffffffffffffn]);
  });
  it('rejects a truncated run', () => {
    expect(() => readPackedVarints(u8(0x01, 0x80))).toThrow(ProtobufDecodeError);
  });
});

describe('integer conversions', () => {
  it.each([
    { v: 0xffffffffffffffffn, want: -1 },
    { v: 0x7fffffffn, want: 2147483647 },
    { v: 0xffffffff80000000n, want: -2147483648 },
  ])('toInt32($v) = $want', ({ v, want }) => {
    expect(toInt32(v)).toBe(want);
  });

  it.each([
    { v: 0n, want: 0 },
    { v: 0xffffffffffffffffn, want: -1 },
    { v: BigInt(Number.MAX_SAFE_INTEGER), want: Number.MAX_SAFE_INTEGER },
  ])('toInt64($v) = $want', ({ v, want }) => {
    expect(toInt64(v, 'x')).toBe(want);
  });

  it('toInt64 refuses values a JSON number cannot hold exactly', () => {
    expect(() => toInt64(2n ** 53n, 'spec.x')).toThrow(/spec.x: integer 9007199254740992 is too large/);
    expect(() => toInt64(BigInt.asUintN(64, -(2n ** 60n)), 'spec.x')).toThrow(ProtobufDecodeError);
  });
});

describe('robustness', () => {
  // A small deterministic generator: the same "random" inputs on every run.
  function* inputs(count: number): Generator<Uint8Array> {
    let s = 0x9e3779b9;
    const next = (): number => {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      return s >>> 0;
    };
    for (let i = 0; i < count; i++) {
      const len = next() % 48;
      const b = new Uint8Array(len);
      for (let j = 0; j < len; j++) b[j] = next() & 0xff;
      yield b;
    }
  }

  it('arbitrary bytes either parse or fail with ProtobufDecodeError', () => {
    let failures = 0;
    for (const b of inputs(3000)) {
      try {
        readFields(b);
      } catch (e) {
        expect(e).toBeInstanceOf(ProtobufDecodeError);
        failures++;
      }
    }
    expect(failures).toBeGreaterThan(0);
  });
});
