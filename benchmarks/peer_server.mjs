// A persistent, warm Digital Bazaar stack for benchmarks/fair.py: one node process reads
// JSON commands, one per line, on stdin and answers one JSON line each on stdout.
//   node benchmarks/peer_server.mjs PEER_DIR
// {"cmd": "setup", "suite": S, "credential": {...}}  -> {"signed": {...}, "verified": bool}
//   derives the key pair and builds the suites ONCE (a fairly configured peer)
// {"cmd": "batch", "op": "sign"|"verify"|"full", "n": N} -> {"cpu_ms": ..., "wall_ms": ...}
//   N operations back to back; CPU time (user + system, so garbage collection counts) and
//   wall time for the whole batch. "verify": jsigs.verify (the proof alone); "full":
//   vc.verifyCredential (the VC checks and the proof).
import path from 'node:path';
import readline from 'node:readline';
import {createRequire} from 'node:module';
import {pathToFileURL} from 'node:url';

const peer = path.resolve(process.argv[2]);
const require = createRequire(path.join(peer, 'package.json'));
const load = async name => import(pathToFileURL(require.resolve(name)).href);
const common = await import(pathToFileURL(path.join(peer, 'lib', 'common.mjs')).href);
const jsigs = (await load('jsonld-signatures')).default;
const vc = await load('@digitalbazaar/vc');

const seed = Buffer.from([...Array(32).keys()]).toString('hex');
const purpose = new jsigs.purposes.AssertionProofPurpose();
const verifying = common.verifyingSuites();
let state = null;

async function setup({suite, credential}) {
  const keys = await common.signingKeys({suite, secret: seed});
  const cred = structuredClone(credential);
  if(cred.issuer && typeof cred.issuer === 'object') {
    cred.issuer.id = keys.did;
  } else {
    cred.issuer = keys.did;
  }
  const sign = () => vc.issue({
    credential: structuredClone(cred),
    suite: common.signingSuite({suite, keys}), documentLoader: common.documentLoader});
  const signed = await sign();
  const verify = () => jsigs.verify(signed, {
    suite: verifying, purpose, documentLoader: common.documentLoader});
  const full = () => vc.verifyCredential({
    credential: signed, suite: verifying, documentLoader: common.documentLoader});
  state = {sign, verify, full};
  const checked = await verify();
  const fully = await full();
  return {signed, verified: checked.verified, fullyVerified: fully.verified};
}

async function batch({op, n}) {
  const fn = state[op];
  const cpu = process.cpuUsage();
  const wall = process.hrtime.bigint();
  for(let i = 0; i < n; i++) {
    await fn();
  }
  const used = process.cpuUsage(cpu);
  return {cpu_ms: (used.user + used.system) / 1000,
    wall_ms: Number(process.hrtime.bigint() - wall) / 1e6};
}

const lines = readline.createInterface({input: process.stdin});
for await (const line of lines) {
  let answer;
  try {
    const command = JSON.parse(line);
    answer = command.cmd === 'setup' ? await setup(command) : await batch(command);
  } catch(e) {
    answer = {error: String(e && e.stack || e)};
  }
  process.stdout.write(JSON.stringify(answer) + '\n');
}
