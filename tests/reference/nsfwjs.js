#!/usr/bin/env node
// Class probabilities of the MobileNetV2 that npm's nsfwjs ships (tfjs layers format, Keras 2.2.4
// topology, uint8-quantised weights) on the photos in tests/reference/photos, as tfjs 4.22.0 computes
// them: pixels / 255, as nsfwjs feeds them. soma must load the same files and agree within 1e-4.
//
//   bash scripts/fetch_nsfwjs.sh
//   npm install --prefix /tmp/tfjs @tensorflow/tfjs@4.22.0 pngjs@7.0.0
//   NODE_PATH=/tmp/tfjs/node_modules node tests/reference/nsfwjs.js
// writes tests/reference/nsfwjs.txt (the format of tests/support/reference_cases.hpp).
const fs = require('fs');
const path = require('path');
const os = require('os');
const tf = require('@tensorflow/tfjs');
const {PNG} = require('pngjs');

const dir = path.join(process.env.SOMA_DATA_HOME || path.join(os.homedir(), '.soma'), 'models', 'nsfwjs_mobilenet_v2');
const photos = ['dog', 'eagle', 'horses', 'person', 'scream'];

async function main() {
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json')));
  const group = json.weightsManifest[0];
  const buffers = group.paths.map(p => fs.readFileSync(path.join(dir, p)));
  const all = Buffer.concat(buffers);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  const model = await tf.loadLayersModel(tf.io.fromMemory({
    modelTopology: json.modelTopology, weightSpecs: group.weights, weightData}));
  let out = '# nsfwjs MobileNetV2 probabilities: written by nsfwjs.js from tfjs 4.22.0. Do not edit.\n';
  out += '# case NAME | options ... | tensor NAME rank dims... values... | end\n';
  for (const name of photos) {
    const png = PNG.sync.read(fs.readFileSync(path.join(__dirname, 'photos', name + '.png')));
    const rgb = new Float32Array(png.width * png.height * 3);
    for (let i = 0; i < png.width * png.height; ++i)
      for (let c = 0; c < 3; ++c) rgb[3 * i + c] = png.data[4 * i + c] / 255;
    const x = tf.tensor4d(rgb, [1, png.height, png.width, 3]);
    const y = Array.from(model.predict(x).dataSync());
    out += `case ${name}\noptions photo=photos/${name}.png\ntensor probabilities 2 1 ${y.length} ${y.join(' ')}\nend\n`;
    console.log(name, y.map(v => v.toFixed(4)).join(' '));
  }
  fs.writeFileSync(path.join(__dirname, 'nsfwjs.txt'), out);
}
main();
