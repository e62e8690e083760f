#!/usr/bin/env node
// soma's TensorFlow.js export, checked by tfjs itself: every tfjs reference model
// (tests/reference/tfjs_models) is read by soma and written again as tfjs files (`soma convert
// model.json out.json`); tfjs 4.22.0 loads what soma wrote and must predict what it predicted for the
// original (tests/reference/tfjs_models.txt) within 1e-5. Run by scripts/test.sh:
//   NODE_PATH=<dir with @tensorflow/tfjs> node tests/interop/tfjs_export_check.js build/release/tools/cli/soma
const fs = require('fs');
const os = require('os');
const path = require('path');
const {execFileSync} = require('child_process');
const tf = require('@tensorflow/tfjs');

const soma = path.resolve(process.argv[2]);
const ref = path.join(__dirname, '..', 'reference');
const cases = [];
let current = null;
for (const line of fs.readFileSync(path.join(ref, 'tfjs_models.txt'), 'utf8').split('\n')) {
  const p = line.trim().split(/\s+/);
  if (p[0] === 'case') { current = {name: p[1], tensors: {}}; cases.push(current); }
  if (p[0] === 'tensor') {
    const rank = +p[2], dims = p.slice(3, 3 + rank).map(Number), values = p.slice(3 + rank).map(Number);
    current.tensors[p[1]] = tf.tensor(values, dims);
  }
}

async function main() {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'soma-tfjs-'));
  let worst = 0, failed = 0;
  // soma refuses to write what tfjs would read differently; these use layers soma does not write for tfjs
  // (TimeDistributed, Bidirectional, a nested model), and the test checks the refusal names them.
  const refused = {recurrent: 'TimeDistributed', recurrent_float16: 'TimeDistributed', bidirectional: 'Bidirectional',
                   nested: 'nested models'};
  for (const c of cases) {
    if (refused[c.name]) {
      let message = '';
      try {
        execFileSync(soma, ['convert', path.join(ref, 'tfjs_models', c.name, 'model.json'), path.join(out, 'x.json')],
                     {stdio: 'pipe'});
      } catch (e) { message = String(e.stderr); }
      const ok = message.includes('export to tfjs') && message.includes(refused[c.name]);
      if (!ok) failed++;
      console.log(`${ok ? 'ok  ' : 'FAIL'} ${c.name.padEnd(20)} refused: ${message.trim() || '(no error)'}`);
      continue;
    }
    const file = path.join(out, c.name + '.json');
    execFileSync(soma, ['convert', path.join(ref, 'tfjs_models', c.name, 'model.json'), file], {stdio: 'pipe'});
    const json = JSON.parse(fs.readFileSync(file));
    const group = json.weightsManifest[0];
    const data = Buffer.concat(group.paths.map(p => fs.readFileSync(path.join(out, p))));
    const model = await tf.loadLayersModel(tf.io.fromMemory({
      modelTopology: json.modelTopology, weightSpecs: group.weights,
      weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)}));
    const xs = Object.keys(c.tensors).filter(k => k.startsWith('x')).sort().map(k => c.tensors[k]);
    const y = model.predict(xs.length === 1 ? xs[0] : xs);
    const diff = tf.max(tf.abs(tf.sub(y, c.tensors.y))).dataSync()[0];
    worst = Math.max(worst, diff);
    const ok = diff < 1e-5;
    if (!ok) failed++;
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${c.name.padEnd(20)} max |y_tfjs(soma's export) - y_tfjs(original)| = ${diff.toExponential(2)}`);
  }
  fs.rmSync(out, {recursive: true, force: true});
  console.log(`${cases.length - failed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}
main().catch(e => { console.error(e); process.exit(1); });
