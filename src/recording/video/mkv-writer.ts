// A minimal Matroska muxer for raw RGB frames with millisecond timestamps: how variable-frame-rate video reaches ffmpeg over a pipe.
//
// ffmpeg's rawvideo input has no timestamps, and a constant frame rate would make it encode every
// tick (FACTS.md: 26× instead of >100×). Matroska carries a timestamp per frame and ffmpeg's
// demuxer maps V_UNCOMPRESSED with ColourSpace "RGB\x18" to rgb24. Each frame is its own Cluster
// (Timestamp + one SimpleBlock), so sizes are known when written and nothing is ever seeked back.

const ID = {
  EBML: 0x1a45dfa3, EBMLVersion: 0x4286, EBMLReadVersion: 0x42f7, EBMLMaxIDLength: 0x42f2, EBMLMaxSizeLength: 0x42f3,
  DocType: 0x4282, DocTypeVersion: 0x4287, DocTypeReadVersion: 0x4285,
  Segment: 0x18538067, Info: 0x1549a966, TimestampScale: 0x2ad7b1, MuxingApp: 0x4d80, WritingApp: 0x5741,
  Tracks: 0x1654ae6b, TrackEntry: 0xae, TrackNumber: 0xd7, TrackUID: 0x73c5, TrackType: 0x83, CodecID: 0x86,
  Video: 0xe0, PixelWidth: 0xb0, PixelHeight: 0xba, ColourSpace: 0x2eb524,
  Cluster: 0x1f43b675, Timestamp: 0xe7, SimpleBlock: 0xa3,
} as const;

function idBytes(id: number): Buffer {
  const n = id > 0xffffff ? 4 : id > 0xffff ? 3 : id > 0xff ? 2 : 1;
  const b = Buffer.alloc(n);
  b.writeUIntBE(id, 0, n);
  return b;
}

/** EBML variable-length size, always 8 bytes (simple, and valid for any size). */
function sizeBytes(size: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt8(0x01, 0);
  b.writeUIntBE(Math.floor(size / 2 ** 32), 1, 3);
  b.writeUInt32BE(size >>> 0, 4);
  return b;
}

function element(id: number, payload: Buffer): Buffer {
  return Buffer.concat([idBytes(id), sizeBytes(payload.length), payload]);
}

function uint(id: number, v: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(v));
  let i = 0;
  while (i < 7 && b[i] === 0) i++;
  return element(id, b.subarray(i));
}

const str = (id: number, s: string): Buffer => element(id, Buffer.from(s, 'latin1'));

/** The stream header: EBML header, Segment of unknown size, Info (1 ms timestamps) and one rgb24 video track. */
export function mkvHeader(width: number, height: number): Buffer {
  const ebml = element(ID.EBML, Buffer.concat([
    uint(ID.EBMLVersion, 1), uint(ID.EBMLReadVersion, 1), uint(ID.EBMLMaxIDLength, 4), uint(ID.EBMLMaxSizeLength, 8),
    str(ID.DocType, 'matroska'), uint(ID.DocTypeVersion, 4), uint(ID.DocTypeReadVersion, 2),
  ]));
  // Unknown size: all ones in an 8-byte vint.
  const segment = Buffer.concat([idBytes(ID.Segment), Buffer.from([0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])]);
  const info = element(ID.Info, Buffer.concat([uint(ID.TimestampScale, 1_000_000), str(ID.MuxingApp, 'vigil'), str(ID.WritingApp, 'vigil')]));
  const video = element(ID.Video, Buffer.concat([
    uint(ID.PixelWidth, width), uint(ID.PixelHeight, height), element(ID.ColourSpace, Buffer.from([0x52, 0x47, 0x42, 24])),
  ]));
  const track = element(ID.TrackEntry, Buffer.concat([
    uint(ID.TrackNumber, 1), uint(ID.TrackUID, 1), uint(ID.TrackType, 1), str(ID.CodecID, 'V_UNCOMPRESSED'), video,
  ]));
  return Buffer.concat([ebml, segment, info, element(ID.Tracks, track)]);
}

/**
 * The bytes before a frame's pixels: a Cluster at `ms` holding one key SimpleBlock of `frameBytes`.
 * Written as header + pixels so the (large) pixel buffer is never copied.
 */
export function mkvFramePrefix(ms: number, frameBytes: number): Buffer {
  const ts = uint(ID.Timestamp, Math.max(0, Math.round(ms)));
  // SimpleBlock: track 1 (vint 0x81), relative timestamp 0 (int16), flags: keyframe.
  const blockHead = Buffer.from([0x81, 0x00, 0x00, 0x80]);
  const blockSize = blockHead.length + frameBytes;
  const block = Buffer.concat([idBytes(ID.SimpleBlock), sizeBytes(blockSize), blockHead]);
  const clusterSize = ts.length + block.length + frameBytes;
  return Buffer.concat([idBytes(ID.Cluster), sizeBytes(clusterSize), ts, block]);
}
