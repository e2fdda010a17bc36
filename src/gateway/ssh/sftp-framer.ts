// Cuts one direction of an SFTP byte stream into packets (uint32 length, type byte, payload), in bounded memory.

/** One SFTP packet as the framer hands it on. */
export interface SftpPacket {
  type: number;
  /** The payload after the type byte, cut to the framer's head size; only valid during the callback. */
  head: Buffer;
  /** Full payload length after the type byte (the rest of the packet was counted, not kept). */
  length: number;
}

export interface SftpFramerOptions {
  /** Largest packet accepted; a longer length field is nonsense and stops the framer (default 4 MiB). */
  maxPacket?: number;
  /** Payload bytes kept of every packet (default 1 KiB): enough for ids, handles, offsets and data lengths. */
  headSize?: number;
  /** Payload bytes kept of packets `wantsWhole` names, e.g. OPEN and its path (default 64 KiB). */
  wholeSize?: number;
  wantsWhole?: (type: number) => boolean;
}

/**
 * Framing only, no protocol meaning. Invariants: it never holds more than `wholeSize` bytes (the data of READ and
 * WRITE is counted while it streams past, never buffered), never throws on any input, and once it meets a length
 * no SFTP peer sends it stops for good and says why in `broken`.
 */
export class SftpFramer {
  private readonly maxPacket: number;
  private readonly headSize: number;
  private readonly wholeSize: number;
  private readonly lengthBytes = Buffer.alloc(4);
  private lengthHave = 0;
  /** Payload length (after the type byte) of the packet being read, and the bytes of it still to come. */
  private packetLength = 0;
  private left = 0;
  private head: Buffer | null = null;
  private headHave = 0;
  private headWant = 0;
  private grown = false;
  /** Why the framer stopped, or null while it reads. */
  broken: string | null = null;

  constructor(private readonly o: SftpFramerOptions = {}) {
    this.maxPacket = o.maxPacket ?? 4 * 1024 * 1024;
    this.headSize = o.headSize ?? 1024;
    this.wholeSize = Math.max(this.headSize, o.wholeSize ?? 64 * 1024);
  }

  /** Feeds the next bytes of the stream; `onPacket` is called for each packet whose head is complete, in order. */
  push(chunk: Buffer, onPacket: (p: SftpPacket) => void): void {
    let i = 0;
    while (i < chunk.length && this.broken === null) {
      if (this.head === null && this.left === 0) i = this.readLength(chunk, i);
      else if (this.head !== null) i = this.readHead(chunk, i, onPacket);
      else {
        // The rest of a packet whose head was handed on: counted past, not kept.
        const take = Math.min(this.left, chunk.length - i);
        this.left -= take;
        i += take;
      }
    }
  }

  private readLength(chunk: Buffer, i: number): number {
    const take = Math.min(4 - this.lengthHave, chunk.length - i);
    chunk.copy(this.lengthBytes, this.lengthHave, i, i + take);
    this.lengthHave += take;
    if (this.lengthHave < 4) return i + take;
    this.lengthHave = 0;
    const n = this.lengthBytes.readUInt32BE(0);
    // The shortest real packet is INIT/VERSION: a type byte and a uint32.
    if (n < 5 || n > this.maxPacket) {
      this.broken = `packet length ${n} is outside 5..${this.maxPacket}`;
      return chunk.length;
    }
    this.packetLength = n - 1;
    this.left = n;
    this.headWant = Math.min(n, this.headSize);
    this.head = Buffer.allocUnsafe(this.headWant);
    this.headHave = 0;
    this.grown = false;
    return i + take;
  }

  private readHead(chunk: Buffer, i: number, onPacket: (p: SftpPacket) => void): number {
    const head = this.head!;
    const take = Math.min(this.headWant - this.headHave, chunk.length - i);
    chunk.copy(head, this.headHave, i, i + take);
    this.headHave += take;
    if (this.headHave < this.headWant) return i + take;
    const type = head[0]!;
    const whole = Math.min(this.packetLength + 1, this.wholeSize);
    if (!this.grown && whole > this.headWant && this.o.wantsWhole?.(type)) {
      // A packet whose whole payload matters (a path): keep up to wholeSize of it instead of the usual head.
      this.grown = true;
      this.head = Buffer.allocUnsafe(whole);
      head.copy(this.head, 0, 0, this.headHave);
      this.headWant = whole;
      return i + take;
    }
    this.left -= this.headWant;
    this.head = null;
    onPacket({ type, head: head.subarray(1, this.headWant), length: this.packetLength });
    return i + take;
  }
}
