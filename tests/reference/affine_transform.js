#!/usr/bin/env node
// Reference outputs for soma's projective image transform (kernels/affine_transform, behind
// RandomTranslation, RandomZoom and RandomRotation), from tfjs' tf.image.transform (@tensorflow/tfjs 4.22.0,
// pure-JS CPU backend), which implements TensorFlow's ImageProjectiveTransformV3, the op Keras 3's
// ops.image.affine_transform runs on the TensorFlow backend. Each case is one image (tfjs' CPU kernel
// returns after the first image of a batch) under a transform written here from Keras' formulas:
//   translation (dx, dy):   [1, 0, -dx, 0, 1, -dy, 0, 0]
//   zoom (zx, zy):          [zx, 0, (w-1)/2 (1-zx), 0, zy, (h-1)/2 (1-zy), 0, 0]
//   rotation a (radians):   [cos, -sin, ((w-1) - (cos (w-1) - sin (h-1))) / 2,
//                            sin, cos, ((h-1) - (sin (w-1) + cos (h-1))) / 2, 0, 0]
// and one projective case (c0, c1 non-zero). Every fill mode and both interpolations appear.
//
//   npm install --prefix /tmp/tfjs @tensorflow/tfjs@4.22.0
//   NODE_PATH=/tmp/tfjs/node_modules node tests/reference/affine_transform.js
// writes tests/reference/affine_transform.txt (the format of tests/support/reference_cases.hpp).
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');

function image(h, w, c, seed) {
  const v = new Float32Array(h * w * c);
  for (let i = 0; i < v.length; ++i) v[i] = Math.sin(0.37 * i + seed) * 0.8;
  return tf.tensor(v, [1, h, w, c]);
}

function tensorLine(name, t) {
  const v = Array.from(t.dataSync()).map((x) => Number(x.toPrecision(9)));
  return `tensor ${name} ${t.shape.length} ${t.shape.join(' ')} ${v.join(' ')}\n`;
}

const translation = (dx, dy) => [1, 0, -dx, 0, 1, -dy, 0, 0];
const zoom = (zx, zy, h, w) => [zx, 0, ((w - 1) / 2) * (1 - zx), 0, zy, ((h - 1) / 2) * (1 - zy), 0, 0];
function rotation(a, h, w) {
  const c = Math.cos(a), s = Math.sin(a);
  return [c, -s, ((w - 1) - (c * (w - 1) - s * (h - 1))) / 2, s, c, ((h - 1) - (s * (w - 1) + c * (h - 1))) / 2, 0, 0];
}

// name, h, w, c, transform, kind (how the C++ test builds it), params, interpolation, fill mode, fill value
const H = 7, W = 6, C = 2;
const cases = [
  ['translate_reflect', translation(1.6, -2.3), 'translation', [1.6 / W, -2.3 / H], 'bilinear', 'reflect', 0],
  ['translate_wrap', translation(-3.2, 4.5), 'translation', [-3.2 / W, 4.5 / H], 'bilinear', 'wrap', 0],
  ['translate_constant', translation(2.5, 1.25), 'translation', [2.5 / W, 1.25 / H], 'bilinear', 'constant', 0.5],
  ['translate_nearest_nearest', translation(-1.4, 2.6), 'translation', [-1.4 / W, 2.6 / H], 'nearest', 'nearest', 0],
  ['translate_far_reflect', translation(9.3, -11.7), 'translation', [9.3 / W, -11.7 / H], 'bilinear', 'reflect', 0],
  ['zoom_in_reflect', zoom(0.6, 0.75, H, W), 'zoom', [-0.4, -0.25], 'bilinear', 'reflect', 0],
  ['zoom_out_constant', zoom(1.5, 1.5, H, W), 'zoom', [0.5, 0.5], 'bilinear', 'constant', 0],
  ['zoom_out_wrap_nearest', zoom(1.3, 1.8, H, W), 'zoom', [0.3, 0.8], 'nearest', 'wrap', 0],
  ['rotate_reflect', rotation(0.15 * 2 * Math.PI, H, W), 'rotation', [0.15], 'bilinear', 'reflect', 0],
  ['rotate_constant', rotation(-0.3 * 2 * Math.PI, H, W), 'rotation', [-0.3], 'bilinear', 'constant', 0],
  ['rotate_nearest_nearest', rotation(0.4 * 2 * Math.PI, H, W), 'rotation', [0.4], 'nearest', 'nearest', 0],
  ['projective_constant', [0.9, 0.1, 0.4, -0.2, 1.1, 0.3, 0.02, -0.03], 'projective', [], 'bilinear', 'constant', 0.25],
];

let out = '# soma affine-transform references: written by affine_transform.js from tfjs 4.22.0. Do not edit.\n';
cases.forEach(([name, t, kind, params, interpolation, fill, value], i) => {
  const x = image(H, W, C, 1 + 0.3 * i);
  const y = tf.image.transform(x, tf.tensor2d([t], [1, 8]), interpolation, fill, value);
  out += `case ${name}\noptions kind=${kind} params=${params.join(',')} interpolation=${interpolation} ` +
         `fill_mode=${fill} fill_value=${value}\n`;
  out += tensorLine('x', x) + tensorLine('transform', tf.tensor1d(t)) + tensorLine('y', y) + 'end\n';
});
fs.writeFileSync(path.join(__dirname, 'affine_transform.txt'), out);
console.log(`wrote ${cases.length} cases`);
