// Times Digital Bazaar's stack (the peer harness) signing and verifying one credential,
// in-process, so the figures compare with benchmarks/run.py's. Usage:
//   node benchmarks/peer_bench.mjs PEER_DIR CREDENTIAL.json SUITE REPEAT
// Prints {"sign_ms": median, "verify_ms": median, "verified": bool} as JSON. For
// ecdsa-sd-2023, "sign" is the base proof (mandatory /issuer), "derive_ms" the derivation
// (the OB preset: every member but credentialSubject.result and evidence) and "verify" the
// derived proof.
import fs from 'node:fs';
import path from 'node:path';
import {createRequire} from 'node:module';
import {pathToFileURL} from 'node:url';

const [peerDir, credPath, suite, repeatText] = process.argv.slice(2);
const repeat = Number(repeatText || '50');
const peer = path.resolve(peerDir);
const require = createRequire(path.join(peer, 'package.json'));
const load = async name => import(pathToFileURL(require.resolve(name)).href);
const common = await import(pathToFileURL(path.join(peer, 'lib', 'common.mjs')).href);
const {signCredential} = await import(pathToFileURL(path.join(peer, 'sign.mjs')).href);
const {deriveCredential} = await import(pathToFileURL(path.join(peer, 'derive.mjs')).href);
const jsigs = (await load('jsonld-signatures')).default;

const seed = Buffer.from([...Array(32).keys()]).toString('hex');
const credential = JSON.parse(fs.readFileSync(credPath, 'utf8'));
const sd = suite === 'ecdsa-sd-2023';
const mandatoryPointers = sd ? ['/issuer'] : undefined;
const revealPointers = [
  ...Object.keys(credential).filter(k => !['@context', 'proof', 'evidence',
    'credentialSubject'].includes(k)).map(k => `/${k}`),
  ...Object.keys(credential.credentialSubject ?? {}).filter(k => k !== 'result')
    .map(k => `/credentialSubject/${k}`)];
const purpose = new jsigs.purposes.AssertionProofPurpose();
const verify = signed => jsigs.verify(signed, {
  suite: common.verifyingSuites(), purpose, documentLoader: common.documentLoader});

const median = xs => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const shared = async signed => sd ?
  deriveCredential({credential: signed, revealPointers}) : signed;
let signed = await signCredential({credential, suite, seed, mandatoryPointers});
let result = await verify(await shared(signed));
const signTimes = []; const verifyTimes = []; const deriveTimes = [];
for(let i = 0; i < repeat; i++) {
  let t = process.hrtime.bigint();
  signed = await signCredential({credential, suite, seed, mandatoryPointers});
  signTimes.push(Number(process.hrtime.bigint() - t) / 1e6);
  t = process.hrtime.bigint();
  const toVerify = await shared(signed);
  deriveTimes.push(Number(process.hrtime.bigint() - t) / 1e6);
  t = process.hrtime.bigint();
  result = await verify(toVerify);
  verifyTimes.push(Number(process.hrtime.bigint() - t) / 1e6);
}
process.stdout.write(JSON.stringify({
  sign_ms: median(signTimes), verify_ms: median(verifyTimes),
  ...(sd ? {derive_ms: median(deriveTimes)} : {}), verified: result.verified
}) + '\n');
