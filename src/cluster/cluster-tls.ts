/**
 * `ccm up --tls`: the cluster's own certificate authority and one server certificate per node, made with
 * @peculiar/x509 over Node's WebCrypto (ECDSA P-256: a key pair takes milliseconds, so 100 nodes cost well under a
 * second). The CA's key stays in secrets/tls/ca.key (0600) to issue certificates for nodes added later; the CLI
 * and the typed client trust secrets/tls/ca.crt, and nothing else. Loaded only by `ccm up` (the library and its
 * reflect-metadata polyfill stay out of every other command's start-up).
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import type { webcrypto as WebCrypto } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import * as x509 from '@peculiar/x509';
import type { ClusterPaths } from './cluster-dir.js';
import type { ClusterFile } from './cluster-file.js';
import { nodeCertPaths, secretPaths, writeSecretFile } from './cluster-secrets.js';

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const CA_YEARS = 10;
const NODE_YEARS = 2;
const DAY_MS = 86_400_000;

type CryptoKey = WebCrypto.CryptoKey;
type CryptoKeyPair = WebCrypto.CryptoKeyPair;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** Creates the CA if there is none, and a certificate for every node that lacks one (or whose CA changed). */
export async function ensureTlsCertificates(paths: ClusterPaths, file: ClusterFile): Promise<void> {
  const s = secretPaths(paths);
  let ca = readCa(s.caCert, s.caKey);
  if (!ca) {
    ca = await createCa(`ccm cluster ${file.name} CA`);
    writeSecretFile(s.caKey, ca.keyPem);
    writeSecretFile(s.caCert, ca.certPem);
  }
  const caCert = new x509.X509Certificate(ca.certPem);
  const caKey = await importPrivateKey(ca.keyPem);
  for (const node of file.nodes) {
    const target = nodeCertPaths(s, node.id);
    if (fs.existsSync(target.cert) && fs.existsSync(target.key) && isIssuedBy(fs.readFileSync(target.cert, 'utf8'), caCert)) continue;
    const issued = await issueNodeCertificate(caCert, caKey, node.id, file.host);
    writeSecretFile(target.key, issued.keyPem);
    writeSecretFile(target.cert, issued.certPem);
  }
}

async function createCa(commonName: string): Promise<{ certPem: string; keyPem: string }> {
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `CN=${commonName}`,
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + CA_YEARS * 365 * DAY_MS),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await exportPrivateKey(keys.privateKey) };
}

/** A server certificate for one node: its host (an IP or a name) and localhost, signed by the cluster CA. */
async function issueNodeCertificate(ca: x509.X509Certificate, caKey: CryptoKey, id: string, host: string): Promise<{ certPem: string; keyPem: string }> {
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
  const names: x509.JsonGeneralName[] = [{ type: 'dns', value: 'localhost' }, { type: 'ip', value: '127.0.0.1' }];
  if (net.isIP(host) && host !== '127.0.0.1') names.push({ type: 'ip', value: host });
  else if (!net.isIP(host) && host !== 'localhost') names.push({ type: 'dns', value: host });
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: `CN=${id}`,
    issuer: ca.subject,
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + NODE_YEARS * 365 * DAY_MS),
    signingKey: caKey,
    publicKey: keys.publicKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names),
      await x509.AuthorityKeyIdentifierExtension.create(ca),
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await exportPrivateKey(keys.privateKey) };
}

function readCa(certFile: string, keyFile: string): { certPem: string; keyPem: string } | null {
  try {
    return { certPem: fs.readFileSync(certFile, 'utf8'), keyPem: fs.readFileSync(keyFile, 'utf8') };
  } catch {
    return null;
  }
}

function isIssuedBy(certPem: string, ca: x509.X509Certificate): boolean {
  try {
    return new x509.X509Certificate(certPem).issuer === ca.subject;
  } catch {
    return false;
  }
}

async function exportPrivateKey(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY') + '\n';
}

async function importPrivateKey(pem: string): Promise<CryptoKey> {
  return webcrypto.subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(pem), ALGORITHM, false, ['sign']);
}

function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] &= 0x7f; // a positive serial
  return Buffer.from(bytes).toString('hex');
}
