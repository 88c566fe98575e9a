/**
 * Every projected row remembers the Kafka record it came from. The projector uses
 * (_src_partition, _src_offset) to skip records already stored after a crash or a replay.
 */
export const SOURCE_COLUMNS = [
  { name: 'received_at', type: "DateTime64(3, 'UTC')", codec: 'DoubleDelta, ZSTD(1)' },
  { name: 'message_id', type: 'String', codec: 'ZSTD(1)' },
  { name: '_src_partition', type: 'UInt32' },
  { name: '_src_offset', type: 'UInt64' },
] as const;

export const SOURCE_INDEX = '_src_offset_idx _src_offset TYPE minmax GRANULARITY 1';
