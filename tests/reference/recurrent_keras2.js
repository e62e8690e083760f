#!/usr/bin/env node
// Reference outputs and gradients for soma's recurrent layers where PyTorch has no equivalent, from
// tfjs (@tensorflow/tfjs 4.22.0, pure-JS CPU backend, float32), which follows Keras 2: GRU with
// reset_after = false (tfjs' only GRU), recurrent activations such as Keras 2's hard_sigmoid
// (clip(0.2 x + 0.5, 0, 1), soma's "hard_sigmoid_keras2"), cell activations other than tanh, initial
// states (with their gradients) and stateful layers. Every option is set explicitly, so tfjs' Keras 2
// defaults (recurrentActivation hardSigmoid) never decide anything. Weights are in Keras' layout, which
// tfjs shares. Gradients are of sum(output * seed) with respect to x, the weights and the initial states.
//
//   npm install --prefix /tmp/tfjs @tensorflow/tfjs@4.22.0
//   NODE_PATH=/tmp/tfjs/node_modules node tests/reference/recurrent_keras2.js
// writes tests/reference/recurrent_keras2.txt (the format of tests/support/reference_cases.hpp).
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');

const N = 2, T = 5, F = 3, U = 4;

function values(shape, seed, scale = 0.6) {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; ++i) v[i] = Math.sin(0.61 * i + seed) * scale;
  return tf.tensor(v, shape);
}

// tfjs activation names for soma's (Keras 3) names.
const tfjsName = {
  tanh: 'tanh', sigmoid: 'sigmoid', hard_sigmoid_keras2: 'hardSigmoid', softsign: 'softsign', relu: 'relu',
  relu6: 'relu6', elu: 'elu', selu: 'selu', softplus: 'softplus', swish: 'swish', mish: 'mish', gelu: 'gelu',
  linear: 'linear',
};

function makeLayer(c, extra = {}) {
  const args = {
    units: U, activation: tfjsName[c.activation], useBias: true, returnSequences: true, returnState: true,
    goBackwards: !!c.go_backwards, kernelInitializer: 'zeros', recurrentInitializer: 'zeros',
    biasInitializer: 'zeros', ...extra,
  };
  if (c.cell !== 'simple_rnn') args.recurrentActivation = tfjsName[c.recurrent_activation];
  if (c.cell === 'lstm') args.unitForgetBias = false;
  if (c.cell === 'gru') args.resetAfter = false;
  return c.cell === 'lstm' ? tf.layers.lstm(args) : c.cell === 'gru' ? tf.layers.gru(args) : tf.layers.simpleRNN(args);
}

function tensorLine(name, t) {
  const v = Array.from(t.dataSync()).map((x) => Number(x.toPrecision(9)));
  return `tensor ${name} ${t.shape.length} ${t.shape.join(' ')} ${v.join(' ')}\n`;
}

function runCase(c) {
  const gates = c.cell === 'lstm' ? 4 : c.cell === 'gru' ? 3 : 1;
  const k = 0.1 * gates + (c.seed || 0);
  const x = tf.variable(values([N, T, F], 0.1 + k));
  const kernel = values([F, gates * U], 0.2 + k);
  const recurrent = values([U, gates * U], 0.3 + k);
  const bias = values([gates * U], 0.4 + k, 0.3);
  const layer = makeLayer(c);
  const states = [];
  if (c.initial_state) {
    states.push(tf.variable(values([N, U], 0.5 + k, 0.5)));
    if (c.cell === 'lstm') states.push(tf.variable(values([N, U], 0.6 + k, 0.5)));
  }
  const apply = () => layer.apply(x, states.length ? { initialState: states } : {});
  const outs = apply();
  layer.setWeights([kernel, recurrent, bias]);
  const [seq, h, cState] = apply();
  const seed = values(seq.shape, 0.7 + k);
  const weights = layer.trainableWeights.map((w) => w.read());
  const wrt = [x, ...weights, ...states];
  const { grads } = tf.variableGrads(() => tf.sum(tf.mul(apply()[0], seed)), wrt);
  let text = `case ${c.name}\noptions cell=${c.cell} units=${U} activation=${c.activation}`;
  if (c.cell !== 'simple_rnn') text += ` recurrent_activation=${c.recurrent_activation}`;
  text += ` reset_after=0 go_backwards=${c.go_backwards ? 1 : 0} initial_state=${c.initial_state ? 1 : 0}\n`;
  text += tensorLine('x', x) + tensorLine('kernel', kernel) + tensorLine('recurrent_kernel', recurrent) +
      tensorLine('bias', bias);
  if (states.length) text += tensorLine('h0', states[0]);
  if (states.length > 1) text += tensorLine('c0', states[1]);
  text += tensorLine('sequences', seq) + tensorLine('state_h', h);
  if (c.cell === 'lstm') text += tensorLine('state_c', cState);
  text += tensorLine('seed', seed);
  const gradNames = ['grad_x', 'grad_kernel', 'grad_recurrent_kernel', 'grad_bias', 'grad_h0', 'grad_c0'];
  wrt.forEach((v, i) => { text += tensorLine(gradNames[i], grads[v.name]); });
  tf.dispose(outs);
  return text + 'end\n';
}

// A stateful layer called on two consecutive chunks: the second starts from the first's final states.
function runStateful(c) {
  const gates = c.cell === 'lstm' ? 4 : c.cell === 'gru' ? 3 : 1;
  const k = 0.1 * gates + 0.05;
  const x1 = values([N, T, F], 0.1 + k), x2 = values([N, T, F], 0.9 + k);
  const layer = makeLayer(c, { stateful: true, batchInputShape: [N, T, F], returnState: false });
  layer.apply(x1);
  layer.setWeights([values([F, gates * U], 0.2 + k), values([U, gates * U], 0.3 + k), values([gates * U], 0.4 + k, 0.3)]);
  layer.resetStates();
  const y1 = layer.apply(x1), y2 = layer.apply(x2);
  layer.resetStates();
  const y3 = layer.apply(x2);  // after reset_states: from zeros again
  let text = `case ${c.name}\noptions cell=${c.cell} units=${U} activation=${c.activation}`;
  if (c.cell !== 'simple_rnn') text += ` recurrent_activation=${c.recurrent_activation}`;
  text += ` reset_after=0 go_backwards=0 stateful=1\n`;
  const w = layer.getWeights();
  text += tensorLine('x', x1) + tensorLine('x2', x2) + tensorLine('kernel', w[0]) +
      tensorLine('recurrent_kernel', w[1]) + tensorLine('bias', w[2]);
  text += tensorLine('sequences', y1) + tensorLine('sequences2', y2) + tensorLine('sequences_reset', y3);
  return text + 'end\n';
}

async function main() {
  await tf.setBackend('cpu');
  const cases = [
    { name: 'gru_before', cell: 'gru', activation: 'tanh', recurrent_activation: 'sigmoid' },
    { name: 'gru_before_hard_backwards', cell: 'gru', activation: 'tanh',
      recurrent_activation: 'hard_sigmoid_keras2', go_backwards: true },
    { name: 'gru_before_initial_state', cell: 'gru', activation: 'softsign', recurrent_activation: 'sigmoid',
      initial_state: true },
    { name: 'lstm_hard_softsign', cell: 'lstm', activation: 'softsign',
      recurrent_activation: 'hard_sigmoid_keras2' },
    { name: 'lstm_initial_state', cell: 'lstm', activation: 'tanh', recurrent_activation: 'sigmoid',
      initial_state: true, go_backwards: true },
    { name: 'simple_rnn_initial_state', cell: 'simple_rnn', activation: 'tanh', initial_state: true },
  ];
  for (const a of ['relu6', 'elu', 'selu', 'softplus', 'swish', 'mish', 'gelu', 'hard_sigmoid_keras2']) {
    cases.push({ name: `simple_rnn_${a}`, cell: 'simple_rnn', activation: a, seed: 0.3 });
  }
  for (const a of ['elu', 'swish', 'relu6']) {
    cases.push({ name: `gru_before_${a}`, cell: 'gru', activation: a, recurrent_activation: 'sigmoid', seed: 0.2 });
    cases.push({ name: `lstm_${a}`, cell: 'lstm', activation: 'tanh', recurrent_activation: a, seed: 0.2 });
  }
  let out = '# soma recurrent references (Keras 2 semantics): written by recurrent_keras2.js from tfjs ' +
      `${tf.version.tfjs} (${tf.getBackend()} backend, float32). Do not edit.\n` +
      '# case NAME | options ... | tensor NAME rank dims... values... | end\n';
  for (const c of cases) out += runCase(c);
  out += runStateful({ name: 'lstm_stateful', cell: 'lstm', activation: 'tanh', recurrent_activation: 'sigmoid' });
  out += runStateful({ name: 'gru_before_stateful', cell: 'gru', activation: 'tanh', recurrent_activation: 'hard_sigmoid_keras2' });
  fs.writeFileSync(path.join(__dirname, 'recurrent_keras2.txt'), out);
  console.log(`wrote ${cases.length + 2} cases`);
}

main();
