/**
 * Workload 4 — serializer: serialise + deserialise 100,000 events holding a Date, a bigint and a nested value object.
 * Floor: JSON.stringify/parse alone (no type restoration); a hand-written codec floor is shown too.
 */
import 'reflect-metadata';
import { Transform, Type, instanceToPlain, plainToInstance } from 'class-transformer';
import { JSONParser } from '@event-driven-io/emmett';
import { assert, emit, runCase, scaled, type Contender } from '../lib/harness';
import { Money, Seed, Transferred, serializer } from '../lib/ours';
import type { EventData, RecordedEvent } from '../../dist/persistence';

const EVENTS = scaled(100_000, 20_000);
/** Distinct source events, serialised round-robin. */
const DISTINCT = 1_000;

const at = (i: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, i));
const sequenceOf = (i: number) => 9_007_199_254_740_993n + BigInt(i); // above Number.MAX_SAFE_INTEGER: needs bigint

// ---- reactive-domain: registered class with a field schema { money: Money, at: Date, sequence: BigInt } ----
const source = new Seed();
const ours = Array.from({ length: DISTINCT }, (_, i) => {
  const e = new Transferred(`acc-${i}`, new Money(100 + i, 'EUR'), at(i), sequenceOf(i), 'rent');
  e.correlationId = source.msgId;
  e.causationId = source.msgId;
  return e;
});
const context = { aggregateType: 'Account', commitId: source.msgId };
/** One mutable record reused for every read (the store would hand us a fresh frozen one; that is not measured here). */
const record: { -readonly [K in keyof RecordedEvent]: RecordedEvent[K] } = {
  streamName: 'account-1',
  revision: 0,
  position: 64n,
  eventId: '',
  type: '',
  data: '',
  metadata: '',
  created: new Date(0),
};

// ---- Emmett: { type, data } events, its JSONParser (bigint replacer) and a `map` restoring the types on parse ----
type EmmettTransferred = {
  type: 'Transferred';
  data: { accountId: string; money: Money; at: Date; sequence: bigint; memo: string };
};
const emmettEvents: EmmettTransferred[] = ours.map((e) => ({
  type: 'Transferred',
  data: { accountId: e.accountId, money: e.money, at: e.at, sequence: e.sequence, memo: e.memo },
}));
type StoredEmmett = { type: 'Transferred'; data: { accountId: string; money: { amount: number; currency: string }; at: string; sequence: string; memo: string } };
const emmettRestore = (parsed: unknown): EmmettTransferred => {
  const e = parsed as StoredEmmett;
  const d = e.data;
  return { type: e.type, data: { accountId: d.accountId, money: new Money(d.money.amount, d.money.currency), at: new Date(d.at), sequence: BigInt(d.sequence), memo: d.memo } };
};

// Emmett with the same metadata ours writes (correlation, causation, schema version, aggregate type, commit id), in
// its event's `metadata` field, written and read back with the payload.
type EmmettMeta = { correlationId: string; causationId: string; schemaVersion: number; aggregateType: string; commitId: string };
type EmmettTransferredWithMeta = EmmettTransferred & { metadata: EmmettMeta };
const metaOf = (e: Transferred): EmmettMeta => ({
  correlationId: e.correlationId!,
  causationId: e.causationId!,
  schemaVersion: 1,
  aggregateType: context.aggregateType,
  commitId: context.commitId,
});
const emmettWithMeta: EmmettTransferredWithMeta[] = ours.map((e, i) => ({ ...emmettEvents[i]!, metadata: metaOf(e) }));
const emmettRestoreWithMeta = (parsed: unknown): EmmettTransferredWithMeta => {
  const e = parsed as StoredEmmett & { metadata: EmmettMeta };
  return { ...emmettRestore(e), metadata: e.metadata };
};

// ---- class-transformer (what Nest users reach for; @nestjs/cqrs has no event serializer) ----
class CtMoney {
  amount!: number;
  currency!: string;
}
class CtTransferred {
  accountId!: string;
  @Type(() => CtMoney)
  money!: CtMoney;
  @Type(() => Date)
  at!: Date;
  @Transform(({ value }) => (typeof value === 'bigint' ? value.toString() : value), { toPlainOnly: true })
  @Transform(({ value }) => BigInt(value as string), { toClassOnly: true })
  sequence!: bigint;
  memo!: string;
}
const ctEvents = ours.map((e) => plainToInstance(CtTransferred, { accountId: e.accountId, money: { ...e.money }, at: e.at, sequence: e.sequence.toString(), memo: e.memo }));

// ---- floors ----
const floorMeta = ours.map((e) => metaOf(e));
const plainForJson = ours.map((e) => ({ accountId: e.accountId, money: { amount: e.money.amount, currency: e.money.currency }, at: e.at, sequence: e.sequence.toString(), memo: e.memo }));

let restored = 0;
let checksum = 0n;
const expectedChecksum = (() => {
  let sum = 0n;
  for (let i = 0; i < EVENTS; i++) sum += sequenceOf(i % DISTINCT);
  return sum;
})();
const reset = () => {
  restored = 0;
  checksum = 0n;
};
const check = (name: string, typed = true) => () => {
  assert(restored === EVENTS, `${name}: restored ${restored}/${EVENTS}`);
  if (typed) assert(checksum === expectedChecksum, `${name}: bigint checksum ${checksum} != ${expectedChecksum}`);
};

const contenders: Contender[] = [
  {
    name: 'reactive-domain EventSerializer',
    role: 'us',
    note: 'serialize(event, context) -> EventData (payload + metadata JSON), then deserialize(record) -> Transferred instance with Date, bigint and Money restored, ids from metadata',
    beforeEach: reset,
    fn: () => {
      for (let i = 0; i < EVENTS; i++) {
        const data: EventData = serializer.serialize(ours[i % DISTINCT]!, context);
        record.eventId = data.eventId;
        record.type = data.type;
        record.data = data.data;
        record.metadata = data.metadata;
        const event = serializer.deserialize<Transferred>(record).event;
        if (!(event.at instanceof Date) || !(event.money instanceof Money)) throw new Error('not restored');
        checksum += event.sequence;
        restored++;
      }
    },
    check: check('ours'),
  },
  {
    name: 'Emmett JSONParser',
    role: 'peer',
    note: 'JSONParser.stringify (its bigint replacer), JSONParser.parse with a `map` restoring Date, bigint and Money (no metadata)',
    beforeEach: reset,
    fn: () => {
      for (let i = 0; i < EVENTS; i++) {
        const text = JSONParser.stringify(emmettEvents[i % DISTINCT]!);
        const event = JSONParser.parse(text, { map: emmettRestore }) as EmmettTransferred;
        if (!(event.data.at instanceof Date) || !(event.data.money instanceof Money)) throw new Error('not restored');
        checksum += event.data.sequence;
        restored++;
      }
    },
    check: check('emmett'),
  },
  {
    name: 'Emmett JSONParser, same metadata',
    role: 'peer',
    note: 'as above, with the metadata ours writes (correlation and causation ids, schema version, aggregate type, commit id) in the event, written and read back',
    beforeEach: reset,
    fn: () => {
      for (let i = 0; i < EVENTS; i++) {
        const text = JSONParser.stringify(emmettWithMeta[i % DISTINCT]!);
        const event = JSONParser.parse(text, { map: emmettRestoreWithMeta }) as EmmettTransferredWithMeta;
        if (!(event.data.at instanceof Date) || typeof event.metadata.correlationId !== 'string') throw new Error('not restored');
        checksum += event.data.sequence;
        restored++;
      }
    },
    check: check('emmett with metadata'),
  },
  {
    name: 'class-transformer',
    role: 'peer',
    note: "instanceToPlain + JSON.stringify, JSON.parse + plainToInstance with @Type/@Transform (Nest users' usual tool; @nestjs/cqrs has no serializer)",
    beforeEach: reset,
    fn: () => {
      for (let i = 0; i < EVENTS; i++) {
        const text = JSON.stringify(instanceToPlain(ctEvents[i % DISTINCT]!));
        const event = plainToInstance(CtTransferred, JSON.parse(text) as object);
        if (!(event.at instanceof Date) || !(event.money instanceof CtMoney)) throw new Error('not restored');
        checksum += event.sequence;
        restored++;
      }
    },
    check: check('class-transformer'),
  },
  {
    name: 'floor: JSON.stringify + JSON.parse',
    role: 'floor',
    note: 'JSON.stringify + JSON.parse of the payload (bigint pre-converted to a string) and of the same metadata object ours writes; nothing restored',
    beforeEach: reset,
    fn: () => {
      for (let i = 0; i < EVENTS; i++) {
        const parsed = JSON.parse(JSON.stringify(plainForJson[i % DISTINCT]!)) as { sequence: string };
        const meta = JSON.parse(JSON.stringify(floorMeta[i % DISTINCT]!)) as EmmettMeta;
        if (typeof parsed.sequence !== 'string' || typeof meta.commitId !== 'string') throw new Error('bad');
        restored++;
      }
    },
    check: check('floor json', false),
  },
  {
    name: 'floor: hand-written codec',
    role: 'floor',
    note: 'hand-written toJSON/fromJSON for this one type: stringify with the bigint as a string, parse and restore Date, bigint and Money; the metadata object written and parsed too',
    beforeEach: reset,
    fn: () => {
      for (let i = 0; i < EVENTS; i++) {
        const e = ours[i % DISTINCT]!;
        const metaText = JSON.stringify(floorMeta[i % DISTINCT]!);
        const meta = JSON.parse(metaText) as EmmettMeta;
        if (typeof meta.correlationId !== 'string') throw new Error('bad');
        const text = JSON.stringify({ accountId: e.accountId, money: e.money, at: e.at, sequence: e.sequence.toString(), memo: e.memo });
        const p = JSON.parse(text) as { accountId: string; money: { amount: number; currency: string }; at: string; sequence: string; memo: string };
        const event = { accountId: p.accountId, money: new Money(p.money.amount, p.money.currency), at: new Date(p.at), sequence: BigInt(p.sequence), memo: p.memo };
        checksum += event.sequence;
        restored++;
      }
    },
    check: check('floor codec'),
  },
];

async function main(): Promise<void> {
  // Ours writes and reads metadata: its like-for-like peer is the Emmett row that does too (the rows without
  // metadata are shown for information).
  const peers = ['Emmett JSONParser, same metadata', 'class-transformer'];
  const result = await runCase({
    id: 'serializer',
    title: `Serializer: serialise + deserialise ${EVENTS.toLocaleString('en')} events (Date, bigint, value object)`,
    unit: 'events',
    units: EVENTS,
    contenders,
    comparisons: [
      { us: 'reactive-domain EventSerializer', peers, floor: 'floor: JSON.stringify + JSON.parse' },
      { us: 'reactive-domain EventSerializer', peers, floor: 'floor: hand-written codec' },
    ],
    iterations: 8,
    rounds: 4,
    timeMs: 0,
    warmupIterations: 2,
    notes: [
      'Ours writes and reads the metadata (correlation and causation ids, schema version, aggregate type, commit id) and checks the stored text for prototype-polluting keys. It is compared with the Emmett row that writes and reads the same metadata, and with floors that stringify and parse the metadata as well; the Emmett row without metadata is for information.',
    ],
  });
  emit('serializer', [result]);
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
