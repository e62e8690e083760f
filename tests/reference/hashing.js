#!/usr/bin/env node
// Reference bins for soma's Hashing layer (and IntegerLookup's integer keys) from tfjs 4.22.0's
// tf.string.stringToHashBucketFast, a JavaScript FarmHash Fingerprint64: the op Keras' Hashing runs on
// tf.as_string(x) for integer inputs. Keras' mask_value reserves bin 0 and hashes the rest into
// num_bins - 1, then adds 1 (keras/src/layers/preprocessing/hashing.py).
//
//   npm install --prefix /tmp/tfjs @tensorflow/tfjs@4.22.0
//   NODE_PATH=/tmp/tfjs/node_modules node tests/reference/hashing.js
// writes tests/reference/hashing.txt (the format of tests/support/reference_cases.hpp).
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');

// Whole numbers that float32 holds exactly (the reference files are read as float32).
const values = [0, 1, 2, -1, -7, 42, 1138, 16777216, -987654, 4294967296, 1099511627776, 17, 17, 3];
function tensorLine(name, v, shape) {
  return `tensor ${name} ${shape.length} ${shape.join(' ')} ${v.join(' ')}\n`;
}
let out = '# soma Hashing references: written by hashing.js from tfjs 4.22.0. Do not edit.\n';
out += '# case NAME | options ... | tensor NAME rank dims... values... | end\n';
for (const [bins, mask] of [[3, null], [10, null], [1000003, null], [8, 0], [5, 17]]) {
  const hashed = bins > 1 && mask !== null ? bins - 1 : bins;
  const h = Array.from(tf.string.stringToHashBucketFast(values.map(String), hashed).dataSync());
  const y = values.map((v, i) => (mask !== null && bins > 1 ? (v === mask ? 0 : h[i] + 1) : h[i]));
  out += `case bins_${bins}_mask_${mask}\noptions num_bins=${bins} mask=${mask === null ? 'none' : mask}\n`;
  out += tensorLine('x', values, [values.length]) + tensorLine('y', y, [values.length]) + 'end\n';
}
fs.writeFileSync(path.join(__dirname, 'hashing.txt'), out);
console.log('wrote 5 cases');
