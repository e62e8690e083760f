#!/usr/bin/env node
// Reference outputs for soma's image resizing (kernels/resize, behind Resizing, UpSampling2D(bilinear)
// and CenterCrop's smart_resize), from tfjs' tf.image.resizeBilinear / resizeNearestNeighbor with
// halfPixelCenters (@tensorflow/tfjs 4.22.0, pure-JS CPU backend): the kernels tf.image.resize runs, which
// Keras 3's ops.image.resize calls on the TensorFlow backend. The aspect-ratio windows are Keras'
// formulas (keras/src/backend/tensorflow/image.py resize): crop the largest centred window of the target's
// aspect ratio, or pad (fill_value) to it, then resize.
//
//   npm install --prefix /tmp/tfjs @tensorflow/tfjs@4.22.0
//   NODE_PATH=/tmp/tfjs/node_modules node tests/reference/resize.js
// writes tests/reference/resize.txt (the format of tests/support/reference_cases.hpp).
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');

function images(n, h, w, c, seed) {
  const v = new Float32Array(n * h * w * c);
  for (let i = 0; i < v.length; ++i) v[i] = Math.sin(0.37 * i + seed) * 0.8;
  return tf.tensor(v, [n, h, w, c]);
}

function tensorLine(name, t) {
  const v = Array.from(t.dataSync()).map((x) => Number(x.toPrecision(9)));
  return `tensor ${name} ${t.shape.length} ${t.shape.join(' ')} ${v.join(' ')}\n`;
}

const trunc = (x) => Math.trunc(Math.fround(x));
function window(h, w, th, tw, mode, fill, x) {
  if (mode === 'crop') {
    const ch = Math.max(Math.min(h, trunc((w * th) / tw)), 1), cw = Math.max(Math.min(w, trunc((h * tw) / th)), 1);
    const top = trunc((h - ch) / 2), left = trunc((w - cw) / 2);
    return x.slice([0, top, left, 0], [-1, ch, cw, -1]);
  }
  if (mode === 'pad') {
    const ph = Math.max(h, trunc((w * th) / tw)), pw = Math.max(w, trunc((h * tw) / th));
    const top = trunc((ph - h) / 2), left = trunc((pw - w) / 2);
    return x.pad([[0, 0], [top, ph - h - top], [left, pw - w - left], [0, 0]], fill);
  }
  return x;
}

// name, n, h, w, c, target h, w, interpolation, window mode, fill value
const cases = [
  ['bilinear_up', 2, 3, 4, 2, 7, 9, 'bilinear', 'none', 0],
  ['bilinear_down', 1, 9, 8, 3, 4, 3, 'bilinear', 'none', 0],
  ['bilinear_mixed', 2, 5, 3, 1, 2, 8, 'bilinear', 'none', 0],
  ['nearest_up', 2, 3, 4, 2, 7, 9, 'nearest', 'none', 0],
  ['nearest_down', 1, 9, 8, 3, 4, 3, 'nearest', 'none', 0],
  ['bilinear_crop_wide', 1, 6, 10, 2, 4, 4, 'bilinear', 'crop', 0],
  ['bilinear_crop_tall', 2, 9, 4, 1, 3, 5, 'bilinear', 'crop', 0],
  ['nearest_crop', 1, 7, 5, 2, 6, 6, 'nearest', 'crop', 0],
  ['bilinear_pad_wide', 1, 4, 8, 2, 6, 6, 'bilinear', 'pad', 0.5],
  ['bilinear_pad_tall', 2, 7, 3, 1, 4, 6, 'bilinear', 'pad', -1],
  ['upsample_2x3', 2, 3, 4, 2, 6, 12, 'bilinear', 'none', 0],
  ['center_crop_smaller', 1, 3, 5, 2, 4, 4, 'bilinear', 'crop', 0],
];
let out = '# soma resize references: written by resize.js from tfjs 4.22.0 (CPU backend). Do not edit.\n';
out += '# case NAME | options ... | tensor NAME rank dims... values... | end\n';
cases.forEach(([name, n, h, w, c, th, tw, interpolation, mode, fill], i) => {
  const x = images(n, h, w, c, i);
  const win = window(h, w, th, tw, mode, fill, x);
  const y = interpolation === 'bilinear' ? tf.image.resizeBilinear(win, [th, tw], false, true)
                                         : tf.image.resizeNearestNeighbor(win, [th, tw], false, true);
  out += `case ${name}\noptions height=${th} width=${tw} interpolation=${interpolation} mode=${mode} fill=${fill}\n`;
  out += tensorLine('x', x) + tensorLine('y', y) + 'end\n';
});
fs.writeFileSync(path.join(__dirname, 'resize.txt'), out);
console.log(`wrote ${cases.length} cases`);
