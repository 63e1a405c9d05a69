import { rawSafetensors } from '../helpers.js';

/** Malformed files, each with the message fragment its error must carry. */
export const BAD_SAFETENSORS: { name: string; bytes: Uint8Array; message: RegExp }[] = [
  { name: 'empty', bytes: new Uint8Array(0), message: /truncated: 0 bytes/ },
  { name: 'short', bytes: new Uint8Array([1, 2, 3]), message: /truncated: 3 bytes/ },
  {
    name: 'header-beyond-file',
    bytes: rawSafetensors('{}', new Uint8Array(0), 4096n),
    message: /header length 4096 is beyond the 10-byte file/,
  },
  { name: 'header-not-json', bytes: rawSafetensors('{"a": [1,'), message: /header is not valid JSON/ },
  { name: 'header-not-object', bytes: rawSafetensors('[1, 2]'), message: /header is not a JSON object/ },
  {
    name: 'unknown-dtype',
    bytes: rawSafetensors({ w: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)),
    message: /tensor w: unsupported dtype "F8_E4M3"/,
  },
  {
    name: 'shape-size-mismatch',
    bytes: rawSafetensors({ w: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 16] } }, new Uint8Array(16)),
    message: /tensor w: F32 \[2, 3\] needs 24 bytes but data_offsets span 16/,
  },
  {
    name: 'offsets-exceed-data',
    bytes: rawSafetensors({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, new Uint8Array(8)),
    message: /tensor w: data_offsets \[0, 16\] exceed the 8-byte data section/,
  },
  {
    name: 'offsets-overlap',
    bytes: rawSafetensors(
      {
        a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
        b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
      },
      new Uint8Array(12),
    ),
    message: /tensors a and b have overlapping data_offsets/,
  },
  {
    name: 'offsets-reversed',
    bytes: rawSafetensors({ w: { dtype: 'U8', shape: [0], data_offsets: [4, 0] } }, new Uint8Array(4)),
    message: /data_offsets must be \[begin, end\]/,
  },
  {
    name: 'negative-shape',
    bytes: rawSafetensors({ w: { dtype: 'U8', shape: [-1], data_offsets: [0, 0] } }),
    message: /tensor w: invalid shape \[-1\]/,
  },
  {
    name: 'absurd-shape',
    bytes: rawSafetensors({ w: { dtype: 'F32', shape: [1e9, 1e9], data_offsets: [0, 4] } }, new Uint8Array(4)),
    message: /tensor w: invalid shape/,
  },
  {
    name: 'metadata-not-strings',
    bytes: rawSafetensors({ __metadata__: { epoch: 3 } }),
    message: /__metadata__.epoch is not a string/,
  },
];
