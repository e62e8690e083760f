#!/usr/bin/env node
// Small models built and saved by tfjs 4.22.0 itself (model.save: its Keras 2 topology and weight
// manifest), with inputs and tfjs' predictions, for soma's TensorFlow.js importer
// (tests/io/keras_tfjs_test.cpp). Three are re-saved with quantised weights (uint8, uint16, float16) as
// tensorflowjs_converter writes them; tfjs' predictions then use its own dequantisation.
//
//   npm install --prefix /tmp/tfjs @tensorflow/tfjs@4.22.0
//   NODE_PATH=/tmp/tfjs/node_modules node tests/reference/tfjs_models.js
// writes tests/reference/tfjs_models/<case>/{model.json,weights.bin} and tests/reference/tfjs_models.txt.
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');
const L = tf.layers;

let seed = 7;
function rand() { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; }
function uniform(shape, lo = -1, hi = 1) {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Array.from({length: n}, () => lo + (hi - lo) * rand()), shape);
}
function ints(shape, n) {
  const k = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Array.from({length: k}, () => Math.floor(rand() * n)), shape);
}
// Weights from the deterministic generator, so no case depends on tfjs' initialisers; BatchNormalization's
// variances stay positive.
function fill(model) {
  for (const layer of model.layers) {
    layer.setWeights(layer.getWeights().map((w, i) => {
      const name = layer.weights[i].name;
      return /moving_variance/.test(name) ? uniform(w.shape, 0.5, 1.5) : uniform(w.shape, -0.5, 0.5);
    }));
  }
}

function seq(input, layers) {
  const m = tf.sequential();
  layers.forEach((l, i) => m.add(i === 0 ? l(input) : l({})));
  return m;
}

const cases = {
  dense_mlp: () => {
    const m = tf.sequential();
    m.add(L.dense({inputShape: [6], units: 8, activation: 'relu'}));
    m.add(L.dropout({rate: 0.3}));
    m.add(L.dense({units: 5, activation: 'hardSigmoid'}));
    m.add(L.dense({units: 3, activation: 'softmax'}));
    m.compile({optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy', metrics: ['accuracy']});
    return [m, uniform([4, 6])];
  },
  conv_net: () => {
    const m = tf.sequential();
    m.add(L.zeroPadding2d({inputShape: [9, 8, 3], padding: [[1, 0], [0, 2]]}));
    m.add(L.conv2d({filters: 4, kernelSize: 3, strides: 2, activation: 'relu'}));
    m.add(L.batchNormalization({}));
    m.add(L.depthwiseConv2d({kernelSize: 3, padding: 'same', depthMultiplier: 2}));
    m.add(L.separableConv2d({filters: 5, kernelSize: 2, activation: 'elu'}));
    m.add(L.upSampling2d({size: [2, 2]}));
    m.add(L.conv2dTranspose({filters: 3, kernelSize: 3, strides: 2, padding: 'same'}));
    m.add(L.maxPooling2d({poolSize: 2}));
    m.add(L.averagePooling2d({poolSize: 2, strides: 1, padding: 'same'}));
    m.add(L.cropping2D({cropping: [[1, 0], [0, 1]]}));
    m.add(L.flatten());
    m.add(L.dense({units: 4}));
    m.add(L.leakyReLU({alpha: 0.1}));
    return [m, uniform([2, 9, 8, 3])];
  },
  conv1d_global: () => {
    const m = tf.sequential();
    m.add(L.conv1d({inputShape: [10, 3], filters: 4, kernelSize: 3, dilationRate: 2, padding: 'same'}));
    m.add(L.reLU({maxValue: 0.4}));
    m.add(L.maxPooling1d({poolSize: 2}));
    m.add(L.globalAveragePooling1d());
    m.add(L.dense({units: 2, activation: 'tanh'}));
    return [m, uniform([3, 10, 3])];
  },
  recurrent: () => {
    const m = tf.sequential();
    m.add(L.embedding({inputDim: 20, outputDim: 6, inputLength: 7}));
    m.add(L.lstm({units: 5, returnSequences: true}));
    m.add(L.gru({units: 4, returnSequences: true, recurrentActivation: 'hardSigmoid'}));
    m.add(L.simpleRNN({units: 3, returnSequences: true}));
    m.add(L.timeDistributed({layer: L.dense({units: 2})}));
    m.add(L.flatten());
    return [m, ints([3, 7], 20)];
  },
  bidirectional: () => {
    const m = tf.sequential();
    m.add(L.bidirectional({inputShape: [6, 4], layer: L.lstm({units: 3}), mergeMode: 'concat'}));
    m.add(L.repeatVector({n: 2}));
    m.add(L.permute({dims: [2, 1]}));
    m.add(L.reshape({targetShape: [12]}));
    m.add(L.layerNormalization({}));
    m.add(L.softmax());
    return [m, uniform([2, 6, 4])];
  },
  functional: () => {
    const a = tf.input({shape: [5], name: 'a'});
    const b = tf.input({shape: [5], name: 'b'});
    const shared = L.dense({units: 4, activation: 'selu', name: 'shared'});
    const ha = shared.apply(a), hb = shared.apply(b);
    const sum = L.add().apply([ha, hb]);
    const prod = L.multiply().apply([ha, hb]);
    const cat = L.concatenate().apply([sum, prod, a]);
    const out = L.dense({units: 2, activation: 'sigmoid', name: 'out'}).apply(L.activation({activation: 'softplus'}).apply(cat));
    return [tf.model({inputs: [a, b], outputs: out}), [uniform([3, 5]), uniform([3, 5])]];
  },
  nested: () => {
    const inner = tf.sequential({name: 'encoder'});
    inner.add(L.dense({inputShape: [5], units: 4, activation: 'relu', name: 'enc_dense'}));
    inner.add(L.dense({units: 3, name: 'enc_out'}));
    const x = tf.input({shape: [5], name: 'features'});
    const y = L.dense({units: 2, activation: 'softmax', name: 'head'}).apply(inner.apply(x));
    return [tf.model({inputs: x, outputs: y, name: 'outer'}), uniform([3, 5])];
  },
  rnn_stack: () => {
    const m = tf.sequential();
    m.add(L.lstm({inputShape: [5, 3], units: 4, returnSequences: true, recurrentActivation: 'sigmoid'}));
    m.add(L.gru({units: 3, returnSequences: true, recurrentActivation: 'sigmoid'}));
    m.add(L.simpleRNN({units: 2, activation: 'relu'}));
    return [m, uniform([2, 5, 3])];
  },
};
const quantised = {dense_mlp_uint8: ['dense_mlp', 'uint8'], conv_net_uint16: ['conv_net', 'uint16'],
                   recurrent_float16: ['recurrent', 'float16']};

function quantise(specs, data, dtype) {
  const floats = new Float32Array(data);
  const parts = [], out = [];
  let offset = 0;
  for (const s of specs) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const v = floats.subarray(offset, offset + n);
    offset += n;
    if (s.group === 'optimizer') {  // int32 and float32 alike: 4 bytes each, kept as they are
      parts.push(Buffer.from(v.slice().buffer));
      out.push(s);
      continue;
    }
    if (dtype === 'float16') {
      parts.push(Buffer.from(new Uint16Array(Array.from(v, toHalf)).buffer));
      out.push({...s, quantization: {dtype}});
      continue;
    }
    const levels = dtype === 'uint8' ? 255 : 65535;
    let lo = Math.min(...v), hi = Math.max(...v);
    const scale = hi > lo ? (hi - lo) / levels : 1;
    const q = Array.from(v, x => Math.round((x - lo) / scale));
    parts.push(Buffer.from((dtype === 'uint8' ? new Uint8Array(q) : new Uint16Array(q)).buffer));
    out.push({...s, quantization: {dtype, scale, min: lo}});
  }
  return [out, Buffer.concat(parts)];
}
function toHalf(x) {  // round to nearest float16 (no subnormal inputs here)
  const f = new Float32Array([x]), u = new Uint32Array(f.buffer)[0];
  const sign = (u >>> 16) & 0x8000, e = ((u >>> 23) & 0xff) - 127 + 15, m = u & 0x7fffff;
  if (e <= 0) return sign;
  let h = sign | (e << 10) | (m >>> 13);
  if ((m & 0x1fff) > 0x1000 || ((m & 0x1fff) === 0x1000 && (h & 1))) h += 1;
  return h;
}

function tensorLine(name, t) {
  return `tensor ${name} ${t.shape.length} ${t.shape.join(' ')} ${Array.from(t.dataSync()).join(' ')}\n`;
}

async function main() {
  let out = '# soma tfjs import references: written by tfjs_models.js from tfjs 4.22.0. Do not edit.\n';
  out += '# case NAME | options ... | tensor NAME rank dims... values... | end\n';
  const saved = {};
  for (const [name, make] of Object.entries(cases)) {
    const [model, x] = make();
    fill(model);
    const xs = Array.isArray(x) ? x : [x];
    await model.save(tf.io.withSaveHandler(async a => { saved[name] = {a, xs}; return {modelArtifactsInfo: {}}; }),
                     {includeOptimizer: model.optimizer != null});
  }
  const all = {...Object.fromEntries(Object.keys(cases).map(k => [k, [k, null]])), ...quantised};
  for (const [name, [base, dtype]] of Object.entries(all)) {
    const {a, xs} = saved[base];
    let specs = a.weightSpecs, data = Buffer.from(a.weightData);
    if (dtype) [specs, data] = quantise(specs, a.weightData, dtype);
    const dir = path.join(__dirname, 'tfjs_models', name);
    fs.mkdirSync(dir, {recursive: true});
    const json = {format: 'layers-model', generatedBy: a.generatedBy, convertedBy: a.convertedBy,
                  modelTopology: a.modelTopology, weightsManifest: [{paths: ['weights.bin'], weights: specs}]};
    if (a.trainingConfig) json.trainingConfig = a.trainingConfig;
    fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
    fs.writeFileSync(path.join(dir, 'weights.bin'), data);
    const model = await tf.loadLayersModel(tf.io.fromMemory({
      modelTopology: a.modelTopology, weightSpecs: specs, trainingConfig: a.trainingConfig,
      weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)}));
    const y = model.predict(xs.length === 1 ? xs[0] : xs);
    out += `case ${name}\noptions inputs=${xs.length}\n`;
    xs.forEach((x, i) => { out += tensorLine('x' + i, x); });
    out += tensorLine('y', y) + 'end\n';
  }
  fs.writeFileSync(path.join(__dirname, 'tfjs_models.txt'), out);
  console.log('wrote', Object.keys(all).length, 'cases');
}
main();
